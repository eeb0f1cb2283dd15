/**
 * The native peer: the same GPT in PyTorch on the CPU (torch_gpt.py), one and two threads, started as a python3
 * process with our initial weights and our batches. Optional: where no python3 can import torch the bench says
 * how to install it and goes on without it; npm test and npm start never need it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConfigName } from '../args.js';
import type { TokenBatch } from '../batch.js';
import { REFERENCE_DIMS, tokensPerStep } from '../dims.js';
import { matmulFlops, type MatmulCase } from '../kernel-cases.js';
import type { KernelRow } from '../kernels.js';
import type { TimingBudget } from '../measure.js';
import type { TrainRow } from '../train-row.js';
import type { PeerSpec } from './tfjs-train.js';

/** Below this many GFLOPS at 512 on one thread the peer's BLAS is not an optimised one (Debian's reference BLAS). */
export const MIN_OPTIMISED_GFLOPS = 50;

export const TORCH_INSTALL_HINT =
  'PyTorch peer skipped: no python3 here can import torch. On Debian/Ubuntu: apt-get install -y python3-torch ' +
  'libopenblas0-pthread (python3-torch alone links the reference BLAS; libopenblas0-pthread makes it use OpenBLAS), ' +
  'or set SELM_PYTHON to a python with torch.';

export interface TorchPeer {
  python: string;
  version: string;
}

/** The first of SELM_PYTHON, python3, /usr/bin/python3 that imports torch, or null. */
export function findTorch(): TorchPeer | null {
  const candidates = [process.env.SELM_PYTHON, 'python3', '/usr/bin/python3'].filter(
    (p): p is string => typeof p === 'string' && p.length > 0,
  );
  for (const python of candidates) {
    try {
      const version = execFileSync(python, ['-c', 'import torch; print(torch.__version__)'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 60_000,
      }).trim();
      if (version) return { python, version };
    } catch {
      // not this one
    }
  }
  return null;
}

function scriptPath(name: 'torch_gpt.py' | 'torch_kernels.py'): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // Next to this file in the source tree; from dist/bench.js, in bench/peers.
  for (const candidate of [join(here, name), join(here, '../bench/peers', name)]) if (existsSync(candidate)) return candidate;
  throw new Error(`bench: ${name} not found next to ${here}`);
}

/** Writes `job` as DIR/spec.json, runs `script` on it with `threads` BLAS/OpenMP threads; its last stdout line, parsed. */
function runScript<T>(peer: TorchPeer, script: 'torch_gpt.py' | 'torch_kernels.py', dir: string, job: unknown, threads: number): T {
  writeFileSync(join(dir, 'spec.json'), JSON.stringify(job));
  const n = String(threads);
  const out = execFileSync(peer.python, [scriptPath(script), join(dir, 'spec.json')], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: n, OPENBLAS_NUM_THREADS: n, MKL_NUM_THREADS: n },
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as T;
}

interface TorchKernelResult {
  torch: string;
  threads: number;
  rows: { case: string; medianMs: number; faultsPerCall: number; samples: number }[];
}

/**
 * The matmul cases on PyTorch (torch_kernels.py) on `threads` threads, timed as ours are (the same budget),
 * as kernel rows of backend `torch-<threads>t`: the native column of the kernel table.
 */
export function torchKernelRows(peer: TorchPeer, threads: number, cases: readonly MatmulCase[], budget: TimingBudget): KernelRow[] {
  if (cases.length === 0) return [];
  const dir = mkdtempSync(join(tmpdir(), 'selm-torch-'));
  try {
    const { timeMs, iterations, warmupIterations, warmupTimeMs } = budget;
    const spec = { threads, timeMs, iterations, warmupIterations, warmupTimeMs, cases };
    const r = runScript<TorchKernelResult>(peer, 'torch_kernels.py', dir, spec, threads);
    if (r.rows.length !== cases.length) throw new Error(`torch kernels: ${r.rows.length} rows for ${cases.length} cases`);
    return r.rows.map((row, i) => ({
      kernel: 'matmul',
      backend: `torch-${threads}t`,
      case: row.case,
      medianMs: row.medianMs,
      gflops: matmulFlops(cases[i]!) / (row.medianMs * 1e6),
      nsPerElement: null,
      faultsPerCall: row.faultsPerCall,
      samples: row.samples,
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface TorchResult {
  torch: string;
  threads: number;
  params: number;
  medianMs: number;
  minMs: number;
  steps: number;
  firstLoss: number;
  lastLoss: number;
  matmulGflops512: number;
}

export interface TorchRun {
  row: TrainRow;
  matmulGflops512: number;
}

/** One PyTorch training run of `config` on `threads` threads, from our weights and batches. */
export function torchTrainRow(
  peer: TorchPeer,
  threads: number,
  config: ConfigName,
  spec: PeerSpec,
  batches: readonly TokenBatch[],
  steps: number,
  warmup: number,
): TorchRun {
  const dir = mkdtempSync(join(tmpdir(), 'selm-torch-'));
  try {
    const manifest: { name: string; shape: number[]; offset: number; size: number }[] = [];
    const parts: Float32Array[] = [];
    let offset = 0;
    const dims = REFERENCE_DIMS[config];
    for (const [name, values] of spec.initial) {
      manifest.push({ name, shape: shapeOf(name, values.length, dims), offset, size: values.length });
      parts.push(values);
      offset += values.length * 4;
    }
    const blob = new Uint8Array(offset);
    let at = 0;
    for (const p of parts) {
      blob.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), at);
      at += p.byteLength;
    }
    writeFileSync(join(dir, 'weights.bin'), blob);
    const { decays: _decays, ...optimizer } = spec.optimizer;
    const job = {
      threads,
      dims,
      weights: join(dir, 'weights.bin'),
      manifest,
      optimizer,
      batches: batches.map((b) => ({ inputs: Array.from(b.inputs), targets: Array.from(b.targets) })),
      steps,
      warmup: Math.max(1, warmup),
    };
    const r = runScript<TorchResult>(peer, 'torch_gpt.py', dir, job, threads);
    if (r.params !== spec.params) throw new Error(`torch ${config}: ${r.params} parameters, ours has ${spec.params}`);
    return {
      matmulGflops512: r.matmulGflops512,
      row: {
        engine: threads === 1 ? 'torch-1t' : 'torch-2t',
        backend: `cpu ${threads}t`,
        config,
        medianMs: r.medianMs,
        tokensPerSec: tokensPerStep(dims) / (r.medianMs / 1000),
        peakRssMb: Number.NaN,
        rssBeforeMb: Number.NaN,
        minMs: r.minMs,
        cpuMs: Number.NaN,
        steps: r.steps,
        warmupSteps: job.warmup,
        params: r.params,
        firstLoss: r.firstLoss,
        lastLoss: r.lastLoss,
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A parameter's shape from its name (the layout of tfjs-gpt.ts's paramSpecs). */
function shapeOf(name: string, size: number, d: (typeof REFERENCE_DIMS)[ConfigName]): number[] {
  if (name === 'wte.weight') return [d.vocab, d.width];
  if (name === 'wpe.weight') return [d.context, d.width];
  if (name.endsWith('.bias') || /ln\w*\.weight$/.test(name) || name === 'lnF.weight') return [size];
  const outDim = name.includes('attn.qkv') ? 3 * d.width : name.includes('mlp.fc') ? d.mlp : d.width;
  return [outDim, size / outDim];
}
