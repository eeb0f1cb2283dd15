/**
 * The wasm backend's unary maps (bit for bit against the cpu backend, special values included), its AdamW
 * kernel (against AdamW computed in float64 on the same float32 inputs, and through src/nn's AdamW), and the
 * batched A·B^T dot kernel split over two threads (bit for bit against one).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import type { AdamWScalars, MatmulArgs, UnaryOp } from '../../src/autograd/backend/backend.js';
import { optimizerKernels } from '../../src/autograd/backend/backend.js';
import { cpuBackend } from '../../src/autograd/backend/cpu/tuned.js';
import { threadsSupported } from '../../src/autograd/backend/gpujs/threads.js';
import { createWasmBackend } from '../../src/autograd/backend/wasm/backend.js';
import { WASM_UNARY } from '../../src/autograd/backend/wasm/update-kernels.js';
import { Tensor, withBackend } from '../../src/autograd/index.js';
import { AdamW } from '../../src/nn/optim.js';
import { lcgFloats, sameBits } from '../helpers/backend-data.js';

const single = createWasmBackend({ threads: 1 });
const threaded = createWasmBackend({ threads: 2 });
afterAll(() => {
  single.destroy();
  threaded.destroy();
});

const SPECIAL = [0, -0, 1, -1, 0.5, -2.5, Infinity, -Infinity, NaN, 1e-40, -1e-40, 3.4e38, -3.4e38, 1e-30];
const sizes = fc.oneof(fc.constantFrom(0, 1, 2, 3, 4, 5, 7, 8, 9, 17), fc.integer({ min: 1, max: 300 }));

describe('wasm unary maps', () => {
  test.each(WASM_UNARY)('%s equals the cpu backend bit for bit, special values and tails included', (op) => {
    const before = single.info().wasmCalls;
    fc.assert(
      fc.property(sizes, fc.integer(), fc.constantFrom(1, 1e3, 1e-3), (n, seed, scale) => {
        const x = lcgFloats(seed, n, scale);
        for (let i = 0; i < n; i += 3) x[i] = SPECIAL[((seed + i) % SPECIAL.length) >>> 0] ?? 0;
        const got = single.unary(op as UnaryOp, x);
        expect(got).toBeInstanceOf(Float32Array);
        sameBits(got, cpuBackend.unary(op as UnaryOp, x), op);
      }),
      { numRuns: 60 },
    );
    expect(single.info().wasmCalls).toBeGreaterThan(before);
  });
});

/** AdamW's update in float64 on float32 inputs (AdamW.update's formula). */
function adamw64(x: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, s: AdamWScalars): Float64Array[] {
  const n = x.length;
  const [xo, mo, vo, upd] = [new Float64Array(n), new Float64Array(n), new Float64Array(n), new Float64Array(n)];
  for (let i = 0; i < n; i++) {
    mo[i] = m[i]! + (1 - s.beta1) * (g[i]! - m[i]!);
    vo[i] = v[i]! * s.beta2 + (1 - s.beta2) * g[i]! * g[i]!;
    upd[i] = (s.stepSize * mo[i]!) / (Math.sqrt(vo[i]!) / s.bc2Sqrt + s.eps);
    xo[i] = x[i]! * s.decay - upd[i]!;
  }
  return [xo, mo, vo, upd];
}

const u = 2 ** -24;

describe('wasm AdamW kernel', () => {
  test('within a few float32 roundings of AdamW in float64, on edge and random sizes', () => {
    const arb = fc.record({
      n: sizes,
      seed: fc.integer(),
      t: fc.integer({ min: 1, max: 50 }),
      lr: fc.constantFrom(1e-3, 3e-4, 0.1),
      wd: fc.constantFrom(0, 0.01, 0.1),
      betas: fc.constantFrom([0.9, 0.999], [0.8, 0.95], [0, 0.5]),
      eps: fc.constantFrom(1e-8, 1e-6),
    });
    fc.assert(
      fc.property(arb, ({ n, seed, t, lr, wd, betas: [beta1, beta2], eps }) => {
        const x = lcgFloats(seed, n);
        const g = lcgFloats(seed + 1, n, 0.1);
        const m = lcgFloats(seed + 2, n, 0.01);
        const v = Float32Array.from(lcgFloats(seed + 3, n, 1e-3), Math.abs);
        const s: AdamWScalars = {
          decay: 1 - lr * wd,
          beta1: beta1!,
          beta2: beta2!,
          stepSize: lr / (1 - beta1! ** t),
          bc2Sqrt: Math.sqrt(1 - beta2! ** t),
          eps,
        };
        const [xo, mo, vo, upd] = adamw64(x, g, m, v, s);
        const [xs, gs, ms, vs] = [x, g, m, v].map((a) => a.slice());
        expect(single.adamwUpdate(xs!, gs!, ms!, vs!, s)).toBe(true);
        sameBits(gs!, g, 'g untouched');
        for (let i = 0; i < n; i++) {
          const what = `n ${n} [${i}]`;
          // Each result is a few roundings from the float64 value, relative to the magnitudes it was made of.
          expect(Math.abs(ms![i]! - mo![i]!), `m ${what}`).toBeLessThanOrEqual(4 * u * (Math.abs(m[i]!) + Math.abs(g[i]!)) + 1e-38);
          expect(Math.abs(vs![i]! - vo![i]!), `v ${what}`).toBeLessThanOrEqual(4 * u * (v[i]! + g[i]! * g[i]!) + 1e-38);
          const bound = 4 * u * Math.abs(x[i]!) + 12 * u * Math.abs(upd![i]!) + 1e-38;
          expect(Math.abs(xs![i]! - xo![i]!), `x ${what}`).toBeLessThanOrEqual(bound);
        }
      }),
      { numRuns: 150 },
    );
  });

  test('float64 arrays are left to the optimiser (false, nothing touched); the cpu backends have no kernel', () => {
    const x = Float64Array.from([1, 2, 3]);
    const s: AdamWScalars = { decay: 1, beta1: 0.9, beta2: 0.999, stepSize: 0.1, bc2Sqrt: 0.1, eps: 1e-8 };
    expect(single.adamwUpdate(x, x.slice(), x.slice(), x.slice(), s)).toBe(false);
    sameBits(x, [1, 2, 3]);
    expect(optimizerKernels(cpuBackend)).toBeNull();
    expect(optimizerKernels(single)).not.toBeNull();
  });

  test("src/nn AdamW on the wasm backend follows the cpu backend's float64-computed steps", () => {
    const run = (backend: 'cpu' | typeof single): Float32Array[] => {
      const w = new Tensor(lcgFloats(7, 37, 0.5), [37], true);
      const b = new Tensor(lcgFloats(8, 5, 0.5), [5], true);
      const opt = new AdamW(
        [
          { params: [w], weightDecay: 0.1 },
          { params: [b], weightDecay: 0 },
        ],
        { lr: 0.01 },
      );
      return withBackend(backend, () => {
        for (let step = 0; step < 4; step++) {
          w.grad = new Tensor(lcgFloats(10 + step, 37, 0.2), [37]);
          b.grad = new Tensor(lcgFloats(20 + step, 5, 0.2), [5]);
          opt.step();
        }
        return [w.data as Float32Array, b.data as Float32Array];
      });
    };
    const calls = single.info().wasmCalls;
    const got = run(single);
    expect(single.info().wasmCalls).toBe(calls + 8);
    const want = run('cpu');
    for (let p = 0; p < 2; p++) {
      for (let i = 0; i < want[p]!.length; i++) expect(Math.abs(got[p]![i]! - want[p]![i]!)).toBeLessThanOrEqual(1e-6);
    }
  });
});

describe.runIf(threadsSupported())('wasm dot kernel on helper threads', () => {
  test("batched A·B^T split over two threads equals one thread's bit for bit", () => {
    const arb = fc.record({
      batch: fc.constantFrom(2, 5, 64),
      m: fc.constantFrom(31, 32, 64),
      k: fc.constantFrom(1, 3, 16, 33),
      n: fc.constantFrom(30, 32, 65),
      seed: fc.integer(),
    });
    fc.assert(
      fc.property(arb, ({ batch, m, k, n, seed }) => {
        const args: MatmulArgs = {
          a: lcgFloats(seed, batch * m * k),
          b: lcgFloats(seed + 1, batch * n * k),
          aBatch: [batch],
          bBatch: [batch],
          batchShape: [batch],
          m,
          k,
          n,
          transA: false,
          transB: true,
          bias: lcgFloats(seed + 2, n),
        };
        sameBits(threaded.matmul(args), single.matmul(args));
      }),
      { numRuns: 25 },
    );
  });
});
