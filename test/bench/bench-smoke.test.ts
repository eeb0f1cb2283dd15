/**
 * Smoke test of the bench: the kernel section on the smallest sizes with --quick, in-process, checking the
 * results file's shape (never timings, which depend on the machine).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BenchUsageError, parseArgs } from '../../bench/args.js';
import { kernelCases, matmulFlops, type MatmulCase } from '../../bench/kernel-cases.js';
import { findTorch, torchKernelRows } from '../../bench/peers/torch.js';
import { runBench } from '../../bench/run.js';

const dir = mkdtempSync(join(tmpdir(), 'selm-bench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bench smoke', () => {
  it('writes <date>-<host>.json with every kernel case on each of our backends and the documented sections', async () => {
    const opts = parseArgs(['--only', 'kernels', '--quick', '--tiny', '--out', dir]);
    if (opts === 'help') throw new Error('parseArgs returned help');
    const lines: string[] = [];
    const { path } = await runBench(opts, (line) => lines.push(line));
    expect(path).not.toBeNull();
    expect(readdirSync(dir)).toEqual([path!.slice(dir.length + 1)]);
    expect(path!.slice(dir.length + 1)).toMatch(/^\d{4}-\d{2}-\d{2}-[A-Za-z0-9._-]+\.json$/);

    const json = JSON.parse(readFileSync(path!, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(json).sort()).toEqual(['generation', 'kernels', 'memory', 'meta', 'ratios', 'trainStep']);
    expect(json.trainStep).toEqual([]);
    expect(json.generation).toEqual([]);
    expect(json.memory).toBeNull();

    const rows = json.kernels as Record<string, unknown>[];
    const cases = kernelCases(true, ['tiny-gpt']);
    expect(rows).toHaveLength(cases.length * 5);
    for (const backend of ['cpu', 'gpujs', 'gpujs-1t', 'wasm', 'wasm-1t']) {
      expect(rows.filter((r) => r.backend === backend).map((r) => r.case)).toEqual(cases.map((c) => c.label));
    }
    for (const r of rows) {
      expect(Object.keys(r).sort()).toEqual([
        'backend',
        'case',
        'faultsPerCall',
        'gflops',
        'kernel',
        'medianMs',
        'nsPerElement',
        'samples',
      ]);
      expect(r.medianMs).toBeGreaterThan(0);
      expect(r.faultsPerCall).toBeGreaterThanOrEqual(0);
      expect(r.samples).toBeGreaterThanOrEqual(2);
      // Matmul rows carry GFLOPS and no per-element figure; every other kernel the reverse.
      expect(typeof (r.kernel === 'matmul' ? r.gflops : r.nsPerElement)).toBe('number');
      expect(r.kernel === 'matmul' ? r.nsPerElement : r.gflops).toBeNull();
    }
    expect(lines.join('\n')).toContain('GFLOPS');
    expect(lines.join('\n')).toContain('minor page faults per call');
    // gpujs-1t ran its kernels on a backend of its own, on one thread, as webasm.
    const meta = json.meta as Record<string, unknown>;
    expect(meta['gpujs-1t']).toMatchObject({ threads: 1, threadedRuns: 0, kernelModes: ['webasm'] });
    expect((meta['gpujs-1t'] as { kernelRuns: number }).kernelRuns).toBeGreaterThan(0);
    // wasm-1t likewise: its own backend, one thread, kernels in WebAssembly.
    expect(meta['wasm-1t']).toMatchObject({ threads: 1, helperChunks: 0 });
    expect((meta['wasm-1t'] as { wasmCalls: number }).wasmCalls).toBeGreaterThan(0);
  });

  it('rejects unknown flags, stray arguments, missing and bad values as usage errors, naming them', () => {
    for (const [argv, pattern] of [
      [['--fast'], /--fast/],
      [['kernels'], /'kernels'/],
      [['--only'], /--only/],
      [['--only', 'kernels,speed'], /'speed'/],
      [['--steps', '0'], /--steps/],
      [['--train-steps', '2.5'], /--train-steps/],
      [['--out', 'x', '--no-write'], /--no-write/],
    ] as const) {
      expect(() => parseArgs(argv), argv.join(' ')).toThrow(BenchUsageError);
      expect(() => parseArgs(argv), argv.join(' ')).toThrow(pattern);
    }
  });

  it('parses every flag', () => {
    expect(parseArgs(['-h'])).toBe('help');
    const opts = parseArgs([
      '--peers',
      '--quick',
      '--only',
      'train,memory',
      '--configs',
      'tiny-gpt',
      '--backends',
      'cpu,gpujs',
      '--train-steps',
      '5',
      '--warmup-steps',
      '2',
      '--steps',
      '30',
      '--no-write',
    ]);
    expect(opts).toEqual({
      peers: true,
      quick: true,
      tiny: false,
      sections: ['train', 'memory'],
      configs: ['tiny-gpt'],
      backends: ['cpu', 'gpujs'],
      trainSteps: 5,
      warmupSteps: 2,
      memorySteps: 30,
      outDir: null,
    });
  });

  it('defaults: no memory check unless named, 20 measured steps, 2000 memory steps', () => {
    const opts = parseArgs([]);
    if (opts === 'help') throw new Error('parseArgs returned help');
    expect(opts.sections).toEqual(['kernels', 'train', 'generate']);
    expect([opts.trainSteps, opts.warmupSteps, opts.memorySteps, opts.peers, opts.outDir]).toEqual([20, 3, 2000, false, null]);
  });
});

// The native column needs a python3 with torch, which npm test never requires: skipped (with this reason in
// the test's name) where none is found.
const torch = findTorch();
describe.skipIf(torch === null)('bench torch kernels (only where a python3 can import torch)', () => {
  it('times the matmul cases as the kernel table has them: stored layouts, GFLOPS from the same formula', () => {
    const cases = kernelCases(true, ['tiny-gpt']).filter((c): c is MatmulCase => c.kind === 'matmul');
    const rows = torchKernelRows(torch!, 1, cases, { iterations: 2, timeMs: 5, warmupIterations: 1, warmupTimeMs: 0 });
    expect(rows.map((r) => r.case)).toEqual(cases.map((c) => c.label));
    rows.forEach((r, i) => {
      expect(r).toMatchObject({ kernel: 'matmul', backend: 'torch-1t', nsPerElement: null });
      expect(r.samples).toBeGreaterThanOrEqual(2);
      expect(r.gflops).toBeCloseTo(matmulFlops(cases[i]!) / (r.medianMs * 1e6), 9);
      expect(r.faultsPerCall).toBeGreaterThanOrEqual(0);
    });
  });
});
