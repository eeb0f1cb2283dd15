/**
 * Every Backend method against the cpu reference (cpuReferenceBackend, plain loops) on random shapes
 * (backend-cases.ts): the tuned cpu backend and the gpujs backend (every kernel forced on, no routing of small
 * calls to the cpu), in float64 and float32. float64 results must match the reference to 1e-12 relative;
 * float32 results are held to the float64 reference's values with a float32 tolerance. Methods that only move
 * or select values must match exactly in both dtypes.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  cpuBackend,
  cpuReferenceBackend,
  createGpujsBackend,
  getBackend,
  setBackend,
  type Backend,
} from '../../src/autograd/backend/index.js';
import { createWasmBackend } from '../../src/autograd/backend/wasm/backend.js';
import { allclose } from '../helpers/allclose.js';
import { KERNEL_CASES, type KernelCall, type MakeArray, type Method } from './backend-cases.js';

const f64: MakeArray = (v) => Float64Array.from(v);
const f32: MakeArray = (v) => Float32Array.from(v);

const FLOAT64 = { atol: 1e-12, rtol: 1e-12 };
/** float32 against float64: a few ulps per operation, over the handful of operations one output takes. */
const FLOAT32 = { atol: 2e-5, rtol: 2e-5 };

const gpujs = createGpujsBackend({
  routing: { minMatmulMacs: 0, minMatmulRows: 0, minMatmulK: 0, minRowElements: 0, minSoftmaxElements: 0, minSumElements: 0 },
  threads: 1,
});
const wasm = createWasmBackend({ threads: 1 });
afterAll(() => {
  gpujs.destroy();
  wasm.destroy();
});

/** `backend` on the case in float64 and float32 agrees with the float64 reference; throws what differs. */
function check(backend: Backend, c: KernelCall): void {
  const reference = c.run(cpuReferenceBackend, f64);
  for (const [arr, dtype] of [
    [f64, 'float64'],
    [f32, 'float32'],
  ] as const) {
    const got = c.run(backend, arr);
    const tolerance = c.exact ? { atol: 0, rtol: 0 } : dtype === 'float64' ? FLOAT64 : FLOAT32;
    // A float32 result of an exact method is the reference rounded to float32 (a cast to float64 aside).
    const expected = c.exact && dtype === 'float32' && got instanceof Float32Array ? Float32Array.from(reference) : reference;
    const r = allclose(got, expected, tolerance);
    if (!r.ok) throw new Error(`${backend.name} ${dtype} ${c.label}: ${r.message}`);
  }
}

const methods = Object.keys(KERNEL_CASES) as Method[];

describe('the tuned cpu backend agrees with the cpu reference', () => {
  it.each(methods)('%s', (method) => {
    fc.assert(
      fc.property(KERNEL_CASES[method], (c) => check(cpuBackend, c)),
      { numRuns: 60 },
    );
  });
});

describe('the gpujs backend (kernels forced) agrees with the cpu reference', () => {
  it.each(methods)('%s', (method) => {
    // Each new shape builds a kernel: fewer runs for the methods that have one.
    const kernel = ['matmul', 'reduce', 'softmaxRows', 'logSumExpRows'].includes(method);
    fc.assert(
      fc.property(KERNEL_CASES[method], (c) => check(gpujs, c)),
      { numRuns: kernel ? 15 : 40 },
    );
  });

  it('ran kernels of all four kinds (the comparisons above were not all answered by the cpu)', () => {
    const info = gpujs.info();
    expect(info.kernelsBuilt).toBeGreaterThan(40);
    expect(info.kernelModes).toEqual(['webasm']);
  });
});

describe('the wasm backend agrees with the cpu reference', () => {
  it.each(methods)('%s', (method) => {
    fc.assert(
      fc.property(KERNEL_CASES[method], (c) => check(wasm, c)),
      { numRuns: 60 },
    );
  });

  it('ran its own kernels (the comparisons above were not all answered by the cpu)', () => {
    expect(wasm.info().wasmCalls).toBeGreaterThan(100);
  });
});

describe('the reference is the selectable backend cpu-reference', () => {
  it('setBackend("cpu-reference") selects it, and setBackend("cpu") the tuned one', () => {
    try {
      expect(setBackend('cpu-reference')).toBe(cpuReferenceBackend);
      expect(getBackend().name).toBe('cpu-reference');
    } finally {
      setBackend('cpu');
    }
    expect(getBackend()).toBe(cpuBackend);
  });
});
