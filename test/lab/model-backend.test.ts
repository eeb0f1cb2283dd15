/**
 * `model.backend`: a GPT run on the generated WebAssembly kernels really runs there, is deterministic, resumes
 * bit for bit, and `selm eval` (evaluateRun) reproduces it on the same backend; the config refuses what it
 * cannot honour; the backend in force before a run is back after it.
 */
import { describe, expect, test } from 'vitest';
import { getBackend, sharedWasmBackend } from '../../src/autograd/index.js';
import { parseExperimentConfig, parseExperimentConfigText, type ExperimentConfig } from '../../src/lab/config.js';
import { evaluateRun, runExperiment, RunInterrupted } from '../../src/lab/runner.js';
import { MemoryStorage, readText } from '../../src/lab/storage.js';
import type { ModelBackend } from '../../src/lab/model-backend.js';

function config(backend: ModelBackend): ExperimentConfig {
  return parseExperimentConfig({
    name: `backend-${backend}`,
    world: { kind: 'language', pairsPerPrompt: 2 },
    seeds: [0],
    alphaSweep: [],
    sft: { steps: 4 },
    algorithm: { iterations: 2, epochs: 1 },
    eval: { samples: 2 },
    model: { backend },
  });
}

async function run(backend: ModelBackend): Promise<{ storage: MemoryStorage; metrics: string; evals: unknown }> {
  const storage = new MemoryStorage();
  const results = await runExperiment(config(backend), { storage });
  return { storage, metrics: readText(storage, 'metrics.jsonl'), evals: results.evals };
}

const sftLosses = (metrics: string): number[] =>
  metrics
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { method: string; loss: number })
    .filter((r) => r.method === 'SFT')
    .map((r) => r.loss);

describe('model.backend', () => {
  test('wasm: the GPT runs on the wasm kernels, deterministically; the previous backend is restored', async () => {
    const before = getBackend();
    const calls0 = sharedWasmBackend().info().wasmCalls;
    const a = await run('wasm');
    const calls1 = sharedWasmBackend().info().wasmCalls;
    expect(calls1 - calls0).toBeGreaterThan(1000);
    expect(getBackend()).toBe(before);
    const b = await run('wasm');
    expect(b.metrics).toBe(a.metrics);
    expect(b.evals).toEqual(a.evals);

    // The cpu run calls no wasm kernel, starts from the same weights (first SFT loss equal to float32 rounding)
    // and differs afterwards in the low bits: the backend is part of what a run's numbers are.
    const calls2 = sharedWasmBackend().info().wasmCalls;
    const c = await run('cpu');
    expect(sharedWasmBackend().info().wasmCalls).toBe(calls2);
    const [wasmFirst, cpuFirst] = [sftLosses(a.metrics)[0]!, sftLosses(c.metrics)[0]!];
    expect(Math.abs(wasmFirst - cpuFirst)).toBeLessThan(1e-5 * Math.abs(cpuFirst));
    expect(c.metrics).not.toBe(a.metrics);
  }, 120_000);

  test('selm eval re-evaluates a run on the backend the run was made with, and reproduces it', async () => {
    const a = await run('wasm');
    const calls0 = sharedWasmBackend().info().wasmCalls;
    expect(evaluateRun(a.storage).evals).toEqual(a.evals);
    expect(sharedWasmBackend().info().wasmCalls).toBeGreaterThan(calls0);
    // The same checkpoints under a config.json that says cpu: evaluated without a wasm kernel. (Their numbers
    // agree here: the evaluation's samples and rewards are discrete, and float32's last bits rarely flip one.)
    const json = JSON.parse(readText(a.storage, 'config.json')) as { model: { backend: string } };
    expect(json.model.backend).toBe('wasm');
    json.model.backend = 'cpu';
    a.storage.write('config.json', new TextEncoder().encode(JSON.stringify(json)));
    const calls1 = sharedWasmBackend().info().wasmCalls;
    evaluateRun(a.storage);
    expect(sharedWasmBackend().info().wasmCalls).toBe(calls1);
  }, 120_000);

  test('a wasm run stopped after one iteration and resumed ends bit-identical to an uninterrupted one', async () => {
    const whole = await run('wasm');
    const storage = new MemoryStorage();
    await expect(runExperiment(config('wasm'), { storage, stopAfterIterations: 1 })).rejects.toBeInstanceOf(RunInterrupted);
    const before = getBackend();
    const resumed = await runExperiment(config('wasm'), { storage, resume: true });
    expect(getBackend()).toBe(before);
    expect(readText(storage, 'metrics.jsonl')).toBe(whole.metrics);
    expect(resumed.evals).toEqual(whole.evals);
  }, 120_000);

  test('the config: cpu by default (also for a config.json written before the field), errors name the field', () => {
    expect(parseExperimentConfig({ world: { kind: 'language' } }).model.backend).toBe('cpu');
    expect(parseExperimentConfig({ world: { kind: 'text' } }).model.backend).toBe('cpu');
    const old = { world: { kind: 'language' }, model: { width: 32, heads: 2, layers: 1, mlpRatio: 2, init: null } };
    expect(parseExperimentConfigText(JSON.stringify(old)).model.backend).toBe('cpu');
    expect(() => parseExperimentConfig({ world: { kind: 'language' }, model: { backend: 'gpujs' } })).toThrow(
      /model\.backend: must be one of 'cpu', 'wasm', got "gpujs"/,
    );
    expect(() => parseExperimentConfig({ world: { kind: 'language' }, model: { backend: 1 } })).toThrow(/model\.backend: must be a string/);
    // The bandit's float64 table never reaches the GPT kernels: asking for wasm there would be silently unused.
    expect(() => parseExperimentConfig({ world: { kind: 'bandit' }, model: { backend: 'wasm' } })).toThrow(
      /model: the bandit world ignores this section/,
    );
  });

  test('a failing run still restores the previous backend', async () => {
    const before = getBackend();
    const bad = config('wasm');
    bad.preferences = 'missing.jsonl';
    await expect(
      runExperiment(bad, {
        storage: new MemoryStorage(),
        readFile: () => {
          throw new Error('no such file');
        },
      }),
    ).rejects.toThrow();
    expect(getBackend()).toBe(before);
  });
});
