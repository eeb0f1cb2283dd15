/**
 * Backend parity: the op cases of the op table (test/autograd/op-cases.ts), run in float32 on the gpujs
 * backend with every kernel forced on (no routing of small shapes to the cpu) and on the wasm backend, against the float64 cpu
 * reference on the same float32-rounded inputs. Values and gradients (the VJP of a random upstream gradient)
 * must agree to a relative tolerance near float32's precision. The same cases also run in float64 on the cpu
 * reference backend ('cpu-reference', plain loops) against the tuned cpu backend.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ag from '../../src/autograd/index.js';
import {
  createGpujsBackend,
  registerBackend,
  setBackend,
  sharedGpujsBackend,
  sharedWasmBackend,
  type GpujsBackend,
  type Tensor,
} from '../../src/autograd/index.js';
import { allclose } from '../helpers/allclose.js';
import type { TensorSpec } from '../helpers/generators.js';
import type { OpSample } from '../helpers/op-case.js';
import { CASES } from './op-cases.js';

const forced: GpujsBackend = createGpujsBackend({
  routing: { minMatmulMacs: 0, minMatmulRows: 0, minMatmulK: 0, minRowElements: 0, minSoftmaxElements: 0 },
});

beforeAll(() => registerBackend('gpujs', () => forced));
afterAll(() => {
  registerBackend('gpujs', sharedGpujsBackend);
  setBackend('cpu');
});

/** float32 agrees with float64 to a few ulps per op; composites chain a handful of ops. */
const TOLERANCE = { atol: 2e-5, rtol: 2e-5 };

interface Run {
  value: Tensor;
  grads: (Tensor | null)[];
}

function run(sample: OpSample, dtype: ag.DType, backend: ag.BackendName, upstreamSeed: number): Run {
  setBackend(backend);
  try {
    const inputs = sample.inputs.map((s: TensorSpec) =>
      ag.tensor(s.values.map(Math.fround), { shape: s.shape, dtype, requiresGrad: s.requiresGrad }),
    );
    const value = sample.fn(...inputs);
    const wrt = inputs.filter((t) => t.requiresGrad);
    if (!value.requiresGrad || wrt.length === 0) return { value, grads: [] };
    // The same upstream gradient on both backends: float32-exact values from a seeded generator.
    const gen = new ag.Generator(upstreamSeed);
    const upstream = ag.tensor(
      Array.from({ length: value.size }, () => Math.fround(gen.uniform(-1, 1))),
      { shape: value.shape, dtype },
    );
    return { value, grads: ag.grad(value, wrt, { gradOutputs: [upstream], allowUnused: true }) };
  } finally {
    setBackend('cpu');
  }
}

const names = Object.keys(CASES) as (keyof typeof CASES)[];

function agreesWithReference(backend: ag.BackendName) {
  return (name: keyof typeof CASES): void => {
    const c = CASES[name];
    fc.assert(
      fc.property(c.sample, fc.integer({ min: 0, max: 2 ** 30 }), (sample, upstreamSeed) => {
        const ours = run(sample, 'float32', backend, upstreamSeed);
        const reference = run(sample, 'float64', 'cpu', upstreamSeed);
        expect(ours.value.dtype).toBe('float32');
        const v = allclose(ours.value, reference.value, TOLERANCE);
        if (!v.ok) throw new Error(`${sample.label} value: ${v.message}`);
        ours.grads.forEach((g, i) => {
          const r = reference.grads[i];
          if (g === null || r === null || r === undefined) {
            expect(g === null).toBe(r === null);
            return;
          }
          expect(g.dtype).toBe('float32');
          const check = allclose(g, r, TOLERANCE);
          if (!check.ok) throw new Error(`${sample.label} gradient ${i}: ${check.message}`);
        });
      }),
      { numRuns: 15 },
    );
  };
}

describe('gpujs (float32, kernels forced) agrees with the float64 cpu reference', () => {
  it.each(names)('%s', agreesWithReference('gpujs'));

  it('ran real gpu.js kernels in webasm mode', () => {
    const info = forced.info();
    expect(info.kernelRuns).toBeGreaterThan(0);
    expect(info.kernelModes).toEqual(['webasm']);
    expect(info.fallbackReasons).toEqual([]);
  });
});

describe('the cpu reference backend (float64) agrees with the tuned cpu backend on every op case', () => {
  const FLOAT64 = { atol: 1e-10, rtol: 1e-10 };
  it.each(names)('%s', (name) => {
    fc.assert(
      fc.property(CASES[name].sample, fc.integer({ min: 0, max: 2 ** 30 }), (sample, upstreamSeed) => {
        const ours = run(sample, 'float64', 'cpu-reference', upstreamSeed);
        const tuned = run(sample, 'float64', 'cpu', upstreamSeed);
        const v = allclose(ours.value, tuned.value, FLOAT64);
        if (!v.ok) throw new Error(`${sample.label} value: ${v.message}`);
        ours.grads.forEach((g, i) => {
          const t = tuned.grads[i];
          if (g === null || t === null || t === undefined) {
            expect(g === null).toBe(t === null);
            return;
          }
          const check = allclose(g, t, FLOAT64);
          if (!check.ok) throw new Error(`${sample.label} gradient ${i}: ${check.message}`);
        });
      }),
      { numRuns: 10 },
    );
  });
});

describe('wasm (float32, generated WebAssembly SIMD kernels) agrees with the float64 cpu reference', () => {
  it.each(names)('%s', agreesWithReference('wasm'));

  it('ran its kernels in WebAssembly', () => {
    expect(sharedWasmBackend().info().wasmCalls).toBeGreaterThan(0);
  });
});
