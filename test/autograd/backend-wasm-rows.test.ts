/**
 * The wasm backend's elementwise and row kernels against the cpu reference run in float64 on the same
 * float32 inputs: edge sizes (one column, odd columns, fewer than 4, not a multiple of 4, no rows), broadcast
 * patterns, masks, ignored targets, and shifted ranges for the exps (large logits, -inf rows).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import type { RowMask } from '../../src/autograd/backend/backend.js';
import { cpuBackend } from '../../src/autograd/backend/cpu/tuned.js';
import { createWasmBackend } from '../../src/autograd/backend/wasm/backend.js';
import { lcgFloats } from '../helpers/backend-data.js';

const wasm = createWasmBackend({ threads: 1 });
afterAll(() => wasm.destroy());

const f64 = (x: Float32Array): Float64Array => Float64Array.from(x);

/** float32 kernels against the float64 reference: a few ulps relative, with an absolute floor. */
function close(got: ArrayLike<number>, want: ArrayLike<number>, tol = { atol: 1e-6, rtol: 2e-6 }, what = ''): void {
  expect(got).toBeInstanceOf(Float32Array);
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w))) continue;
    if (!(Math.abs(g - w) <= tol.atol + tol.rtol * Math.abs(w))) expect.fail(`${what}[${i}]: ${g} vs reference ${w}`);
  }
}

const shape = fc.record({
  rows: fc.oneof(fc.constantFrom(0, 1, 2, 3), fc.integer({ min: 1, max: 40 })),
  cols: fc.oneof(fc.constantFrom(1, 2, 3, 4, 5, 7, 8, 9, 33), fc.integer({ min: 1, max: 70 })),
  scale: fc.constantFrom(1, 4, 30),
  offset: fc.constantFrom(0, 300, -300),
});

describe('wasm row kernels against the float64 reference', () => {
  test('softmax, its gradient, log-sum-exp and layer norm (forward and gradient), on edge sizes and shifted ranges', () => {
    fc.assert(
      fc.property(shape, fc.integer(), ({ rows, cols, scale, offset }, seed) => {
        const x = lcgFloats(seed, rows * cols, scale, offset);
        const g = lcgFloats(seed + 1, rows * cols, 1, 0);
        close(wasm.softmaxRows(x, rows, cols), cpuBackend.softmaxRows(f64(x), rows, cols), undefined, 'softmax');
        close(wasm.logSumExpRows(x, rows, cols), cpuBackend.logSumExpRows(f64(x), rows, cols), undefined, 'logsumexp');
        const y = wasm.softmaxRows(x, rows, cols) as Float32Array;
        close(
          wasm.softmaxRowsGrad(y, g, rows, cols),
          cpuBackend.softmaxRowsGrad(f64(y), f64(g), rows, cols),
          { atol: 1e-6, rtol: 1e-5 },
          'softmax grad',
        );
        // Layer norm on the unshifted range: a +-300 offset with unit spread loses float32's digits to the mean.
        const z = lcgFloats(seed + 2, rows * cols, scale, 0);
        close(
          wasm.layerNormRows(z, rows, cols, 1e-5),
          cpuBackend.layerNormRows(f64(z), rows, cols, 1e-5),
          { atol: 2e-5, rtol: 2e-5 },
          'layernorm',
        );
        // The gradient cancels (exactly, for two columns and eps = 0): its error scales with rstd max|g|, not with it.
        const want = cpuBackend.layerNormRowsGrad(f64(z), f64(g), rows, cols, 1e-5);
        const got = wasm.layerNormRowsGrad(z, g, rows, cols, 1e-5);
        for (let r = 0; r < rows; r++) {
          const row = Array.from(z.subarray(r * cols, (r + 1) * cols));
          const mu = row.reduce((a, v) => a + v, 0) / cols;
          const rstd = 1 / Math.sqrt(row.reduce((a, v) => a + (v - mu) ** 2, 0) / cols + 1e-5);
          for (let c = 0; c < cols; c++) {
            const i = r * cols + c;
            const bound = 1e-6 + 2e-5 * (Math.abs(want[i]!) + rstd);
            if (!(Math.abs(got[i]! - want[i]!) <= bound))
              expect.fail(`layernorm grad[${i}]: ${got[i]} vs reference ${want[i]} (rstd ${rstd})`);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  test('cross-entropy and its gradient, with ignored (negative) targets', () => {
    fc.assert(
      fc.property(shape, fc.integer(), ({ rows, cols, scale, offset }, seed) => {
        const x = lcgFloats(seed, rows * cols, scale, offset);
        const g = lcgFloats(seed + 1, rows, 1, 0);
        const targets = Int32Array.from({ length: rows }, (_, r) => (r % 3 === 2 ? -1 : (r * 7 + seed) % cols));
        for (let r = 0; r < rows; r++) if (targets[r]! < 0 || targets[r]! >= cols) targets[r] = Math.abs(targets[r]!) % cols;
        if (rows > 1) targets[1] = -1;
        close(
          wasm.crossEntropyRows(x, rows, cols, targets),
          cpuBackend.crossEntropyRows(f64(x), rows, cols, targets),
          { atol: 2e-5, rtol: 2e-6 },
          'cross-entropy',
        );
        close(
          wasm.crossEntropyRowsGrad(x, g, rows, cols, targets),
          cpuBackend.crossEntropyRowsGrad(f64(x), f64(g), rows, cols, targets),
          { atol: 1e-6, rtol: 1e-5 },
          'cross-entropy grad',
        );
      }),
      { numRuns: 100 },
    );
  });

  test('a masked softmax and its gradient; rows of -inf and NaN as the reference', () => {
    const rows = 5;
    const cols = 7;
    const x = lcgFloats(9, rows * cols, 3, 0);
    const values = Float32Array.from({ length: cols * cols }, (_, i) => (i % cols <= Math.floor(i / cols) ? 1 : 0));
    const mask: RowMask = {
      values,
      offsets: Int32Array.from({ length: rows * cols }, (_, i) => ((i % cols) + (Math.floor(i / cols) % cols) * cols) % values.length),
      fill: -1e9,
    };
    close(wasm.softmaxRows(x, rows, cols, mask), cpuBackend.softmaxRows(f64(x), rows, cols, mask), undefined, 'masked softmax');
    const y = wasm.softmaxRows(x, rows, cols, mask) as Float32Array;
    const g = lcgFloats(10, rows * cols, 1, 0);
    close(
      wasm.softmaxRowsGrad(y, g, rows, cols, mask),
      cpuBackend.softmaxRowsGrad(f64(y), f64(g), rows, cols, mask),
      { atol: 1e-6, rtol: 1e-5 },
      'masked grad',
    );
    const special = Float32Array.from([-Infinity, -Infinity, -Infinity, 1, Number.NaN, 2, 5, -Infinity, 0]);
    close(wasm.softmaxRows(special, 3, 3), cpuBackend.softmaxRows(f64(special), 3, 3), undefined, 'special softmax');
    close(wasm.logSumExpRows(special, 3, 3), cpuBackend.logSumExpRows(f64(special), 3, 3), undefined, 'special logsumexp');
  });
});

describe('wasm elementwise kernels against the float64 reference', () => {
  test('exp, gelu and its gradient over the whole float32 range that matters, any length', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 67 }), fc.constantFrom(1, 10, 100), fc.integer(), (n, scale, seed) => {
        const x = lcgFloats(seed, n, scale, 0);
        const g = lcgFloats(seed + 1, n, 1, 0);
        close(wasm.unary('exp', x), cpuBackend.unary('exp', f64(x)).map(Math.fround), { atol: 1e-37, rtol: 3e-7 }, 'exp');
        close(wasm.gelu(x), cpuBackend.gelu(f64(x)), { atol: 1e-6, rtol: 1e-6 }, 'gelu');
        close(wasm.geluGrad(x, g), cpuBackend.geluGrad(f64(x), f64(g)), { atol: 1e-6, rtol: 1e-5 }, 'gelu grad');
      }),
      { numRuns: 100 },
    );
    const special = Float32Array.from([0, -0, Infinity, -Infinity, Number.NaN, 88, -87, -100, 1e-30]);
    close(wasm.unary('exp', special), cpuBackend.unary('exp', f64(special)).map(Math.fround), { atol: 1e-37, rtol: 3e-7 }, 'exp special');
  });

  test('add, sub, mul, div with same-shape, scalar, tile and repeat broadcasts; other broadcasts via the cpu', () => {
    const cases: [number[], number[], number[]][] = [
      [
        [5, 7],
        [5, 7],
        [5, 7],
      ],
      [[5, 7], [7], [5, 7]],
      [
        [5, 7],
        [5, 1],
        [5, 7],
      ],
      [[1], [3, 9], [3, 9]],
      [
        [3, 1],
        [1, 6],
        [3, 6],
      ],
      [
        [2, 3, 5],
        [3, 1],
        [2, 3, 5],
      ],
      [[0, 4], [4], [0, 4]],
      [[13], [13], [13]],
    ];
    const size = (s: number[]): number => s.reduce((p, d) => p * d, 1);
    for (const [aShape, bShape, outShape] of cases) {
      for (const op of ['add', 'sub', 'mul', 'div'] as const) {
        const a = lcgFloats(1, size(aShape), 3, 0);
        const b = lcgFloats(2, size(bShape), 3, 5);
        const want = cpuBackend.binary(op, f64(a), aShape, f64(b), bShape, outShape).map(Math.fround);
        close(wasm.binary(op, a, aShape, b, bShape, outShape), want, { atol: 0, rtol: 0 }, `${op} ${aShape}|${bShape}`);
      }
    }
  });

  test('sums over trailing and leading blocks of axes; others via the cpu', () => {
    for (const [shape, axes] of [
      [[6, 7], [1]],
      [[6, 7], [0]],
      [
        [2, 3, 5],
        [1, 2],
      ],
      [
        [2, 3, 5],
        [0, 1],
      ],
      [[2, 3, 5], [1]],
      [
        [4, 9],
        [0, 1],
      ],
      [[0, 3], [0]],
    ] as [number[], number[]][]) {
      const x = lcgFloats(
        3,
        shape.reduce((p, d) => p * d, 1),
        2,
        0,
      );
      close(
        wasm.reduce('sum', x, shape, axes),
        cpuBackend.reduce('sum', f64(x), shape, axes),
        { atol: 1e-6, rtol: 1e-6 },
        `sum ${shape} ${axes}`,
      );
    }
  });
});
