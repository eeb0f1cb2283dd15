/**
 * Every fused op (ops/fused.ts) against its composed version (ops/composite.ts; for linear, matmulT + add), as
 * property tests over random
 * shapes and values:
 * - float64: fused and composed values and gradients (for a random upstream gradient) agree to 1e-10;
 * - float32 fused against the float64 composed reference: values and gradients within 1e-5 relative (to the
 *   row's magnitude);
 * - gradcheck, gradgradcheck and a third-order check of the fused op in float64 (the grad primitives' own
 *   backward rules are written with tensor ops, so higher derivatives must agree with finite differences);
 * - stability for inputs shifted by +-1000 (softmax, cross-entropy), ignored targets and every reduction.
 * Each runs on the cpu backend and on the gpujs backend (float32 kernels; fused kernels route to cpu there).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  add,
  crossEntropy,
  crossEntropyFused,
  gelu,
  geluFused,
  grad,
  gradcheck,
  gradgradcheck,
  layerNorm,
  layerNormFused,
  linearFused,
  maskedSoftmaxFused,
  matmulT,
  softmax,
  softmaxFused,
  tensor,
  where,
  withBackend,
  type BackendName,
  type Tensor,
} from '../../src/autograd/index.js';
import { shapeArb, sizeOf, valuesArb } from '../helpers/generators.js';

type Fn = (xs: Tensor[]) => Tensor;

interface FusedCase {
  name: string;
  /** Shapes of the inputs, from the shape of the first. */
  shapes: (shape: number[]) => number[][];
  fused: Fn;
  composed: Fn;
  /** Value range of the inputs. */
  low?: number;
  high?: number;
}

/** Targets for cross-entropy cases: a fixed pseudo-random class per row, every third row ignored (-100). */
function targetsFor(shape: readonly number[]): number[] {
  const classes = shape[shape.length - 1]!;
  const rows = sizeOf(shape) / classes;
  return Array.from({ length: rows }, (_, r) => (r % 3 === 2 ? -100 : (r * 7 + 3) % classes));
}

/**
 * A 0/1 mask for x's shape, broadcast over every dim but the last two: entry (i, j) is allowed when j < i, so row
 * 0 has nothing allowed (a fully masked row: uniform weights, no gradient) and the rest are causal.
 */
function causalMask(shape: readonly number[], dtype: 'float64' | 'float32'): Tensor {
  const cols = shape[shape.length - 1]!;
  const rows = shape.length >= 2 ? shape[shape.length - 2]! : 1;
  const values = Array.from({ length: rows * cols }, (_, k) => (k % cols < Math.floor(k / cols) ? 1 : 0));
  const maskShape = shape.length >= 2 ? [...shape.slice(0, -2).map(() => 1), rows, cols] : [cols];
  return tensor(values, { shape: maskShape, dtype });
}

const CASES: FusedCase[] = [
  { name: 'gelu', shapes: (s) => [s], fused: ([x]) => geluFused(x!), composed: ([x]) => gelu(x!), low: -4, high: 4 },
  {
    name: 'softmax (last axis)',
    shapes: (s) => [s],
    fused: ([x]) => softmaxFused(x!, -1),
    composed: ([x]) => softmax(x!, -1),
    low: -3,
    high: 3,
  },
  {
    name: 'masked softmax (a causal mask broadcast over leading dims, row 0 fully masked)',
    shapes: (s) => [s],
    fused: ([x]) => maskedSoftmaxFused(x!, causalMask(x!.shape, x!.dtype), -1e9),
    composed: ([x]) => softmax(where(causalMask(x!.shape, x!.dtype), x!, -1e9), -1),
    low: -3,
    high: 3,
  },
  {
    name: 'layerNorm with weight and bias',
    shapes: (s) => [s, [s[s.length - 1]!], [s[s.length - 1]!]],
    fused: ([x, w, b]) => layerNormFused(x!, w, b, 1e-5),
    composed: ([x, w, b]) => layerNorm(x!, w, b, 1e-5),
  },
  { name: 'layerNorm without affine', shapes: (s) => [s], fused: ([x]) => layerNormFused(x!), composed: ([x]) => layerNorm(x!) },
  ...[true, false].map(
    (withBias): FusedCase => ({
      name: `linear ${withBias ? 'with' : 'without'} bias`,
      // x [rows, k] from the drawn shape, a weight of n = 2..4 outputs, and a bias.
      shapes: (s) => {
        const k = s[s.length - 1]!;
        const n = (sizeOf(s) % 3) + 2;
        return withBias
          ? [[sizeOf(s) / k, k], [n, k], [n]]
          : [
              [sizeOf(s) / k, k],
              [n, k],
            ];
      },
      fused: ([x, w, b]) => linearFused(x!, w!, b),
      composed: ([x, w, b]) => (b ? add(matmulT(x!, w!, false, true), b) : matmulT(x!, w!, false, true)),
    }),
  ),
  ...(['mean', 'sum', 'none'] as const).map(
    (reduction): FusedCase => ({
      name: `crossEntropy (${reduction}, ignoreIndex)`,
      shapes: (s) => [s],
      fused: ([x]) => crossEntropyFused(x!, targetsFor(x!.shape), { ignoreIndex: -100, reduction }),
      composed: ([x]) => crossEntropy(x!, targetsFor(x!.shape), { ignoreIndex: -100, reduction }),
      low: -3,
      high: 3,
    }),
  ),
];

/** Shapes of rank 1-3 whose last dim is at least 2 (a row to normalise or classify). */
const shapes = shapeArb({ minRank: 1, maxRank: 3, minDim: 1, maxDim: 5, maxSize: 40 }).filter((s) => s[s.length - 1]! >= 2);

/** Inputs (their values) and an upstream gradient for the output, from one seed of values. */
const caseInputsArb = (c: FusedCase): fc.Arbitrary<{ shapes: number[][]; values: number[][]; upstream: number[] }> =>
  shapes.chain((s) => {
    const ins = c.shapes(s);
    return fc.record({
      shapes: fc.constant(ins),
      values: fc.tuple(...ins.map((shape) => valuesArb(sizeOf(shape), { low: c.low ?? -2, high: c.high ?? 2, steps: 997 }))),
      upstream: valuesArb(64, { low: -1, high: 1, steps: 64 }),
    });
  });

function inputs(shapes: number[][], values: number[][], dtype: 'float64' | 'float32'): Tensor[] {
  return shapes.map((shape, i) => tensor(Float64Array.from(values[i]!), { shape, dtype, requiresGrad: true }));
}

/** The output and the gradients of sum(output * upstream) with respect to every input, as float64 arrays. */
function evaluate(fn: Fn, xs: Tensor[], upstream: number[]): { value: Float64Array; grads: Float64Array[] } {
  const out = fn(xs);
  const u = tensor(
    Float64Array.from({ length: out.size }, (_, i) => upstream[i % upstream.length]!),
    { shape: out.shape, dtype: out.dtype },
  );
  const grads = grad([out], xs, { gradOutputs: [u] });
  return { value: Float64Array.from(out.data), grads: grads.map((g) => Float64Array.from(g!.data)) };
}

/**
 * |a - e| <= tol * (|e| + scale) elementwise, with `scale` the largest |e| and at least 1: errors relative to
 * the magnitude of the terms (inputs and upstream gradients are O(1); a gradient that cancels to ~0, as layer
 * norm's does over rows of two, is still computed from O(1) terms).
 */
function expectNear(actual: Float64Array, expected: Float64Array, tol: number, label: string): void {
  expect(actual.length, label).toBe(expected.length);
  const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i]! - expected[i]!);
    if (!(err <= tol * (Math.abs(expected[i]!) + scale) + 1e-300))
      expect.fail(`${label}[${i}]: ${actual[i]} vs ${expected[i]} (err ${err})`);
  }
}

const BACKENDS: BackendName[] = ['cpu', 'gpujs'];

describe.each(BACKENDS)('fused ops on the %s backend', (backend) => {
  describe.each(CASES)('$name', (c) => {
    test('float64: fused values and gradients equal the composed op (1e-10)', () => {
      fc.assert(
        fc.property(caseInputsArb(c), ({ shapes: ins, values, upstream }) =>
          withBackend(backend, () => {
            const f = evaluate(c.fused, inputs(ins, values, 'float64'), upstream);
            const r = evaluate(c.composed, inputs(ins, values, 'float64'), upstream);
            expectNear(f.value, r.value, 1e-10, 'value');
            f.grads.forEach((g, i) => expectNear(g, r.grads[i]!, 1e-10, `grad ${i}`));
          }),
        ),
      );
    });

    test('float32 fused values and gradients are within 1e-5 of the float64 composed reference', () => {
      fc.assert(
        fc.property(caseInputsArb(c), ({ shapes: ins, values, upstream }) =>
          withBackend(backend, () => {
            const f = evaluate(c.fused, inputs(ins, values, 'float32'), upstream);
            const r = evaluate(c.composed, inputs(ins, values, 'float64'), upstream);
            expectNear(f.value, r.value, 1e-5, 'value');
            f.grads.forEach((g, i) => expectNear(g, r.grads[i]!, 1e-5, `grad ${i}`));
          }),
        ),
      );
    });

    test('gradcheck and gradgradcheck in float64', () => {
      fc.assert(
        fc.property(caseInputsArb(c), ({ shapes: ins, values }) =>
          withBackend(backend, () => {
            const xs = inputs(ins, values, 'float64');
            expect(gradcheck((...t: Tensor[]) => c.fused(t), xs)).toBe(true);
            expect(gradgradcheck((...t: Tensor[]) => c.fused(t), xs)).toBe(true);
          }),
        ),
        { numRuns: 10 },
      );
    });

    test('third derivatives agree with finite differences (gradgradcheck of the first derivative)', () => {
      const shapes23 = c.shapes([2, 3]);
      const xs = inputs(
        shapes23,
        shapes23.map((s, i) => Array.from({ length: sizeOf(s) }, (_, j) => Math.sin(3 * j + i + 1))),
        'float64',
      );
      const v = tensor(Float64Array.from({ length: 64 }, (_, j) => Math.cos(j)).subarray(0, c.fused(xs).size), {
        shape: c.fused(xs).shape,
        dtype: 'float64',
      });
      const firstDerivative = (...t: Tensor[]): Tensor[] => grad([c.fused(t)], t, { gradOutputs: [v], createGraph: true }).map((g) => g!);
      withBackend(backend, () => expect(gradgradcheck(firstDerivative, xs)).toBe(true));
    });
  });

  test('softmax and cross-entropy are stable for logits shifted by +-1000 (float32 fused vs float64 composed)', () => {
    withBackend(backend, () => {
      for (const shift of [1000, -1000]) {
        const values = Array.from({ length: 12 }, (_, i) => shift + Math.sin(i) * 3);
        const x32 = tensor(Float64Array.from(values), { shape: [3, 4], dtype: 'float32' });
        const x64 = tensor(Float64Array.from(values), { shape: [3, 4], dtype: 'float64' });
        // float32 cannot hold 1000 + sin(i) exactly: the reference sees the same rounded inputs.
        const x64r = tensor(Float64Array.from(x32.data), { shape: [3, 4], dtype: 'float64' });
        expectNear(Float64Array.from(softmaxFused(x32).data), Float64Array.from(softmax(x64r).data), 1e-5, `softmax ${shift}`);
        const t = [0, 3, 1];
        expectNear(
          Float64Array.from(crossEntropyFused(x32, t, { reduction: 'none' }).data),
          Float64Array.from(crossEntropy(x64r, t, { reduction: 'none' }).data),
          1e-5,
          `ce ${shift}`,
        );
        expect(Number.isFinite(crossEntropyFused(x64, t).item())).toBe(true);
      }
    });
  });
});

test('maskedSoftmaxFused names a mask that does not broadcast', () => {
  const x = tensor([[1, 2, 3]], { dtype: 'float64' });
  expect(() => maskedSoftmaxFused(x, tensor([1, 0], { dtype: 'float64' }), -1e9)).toThrow(
    /mask of shape \[2\] does not broadcast to \[1,3\]/,
  );
  expect(() => maskedSoftmaxFused(x, tensor([[[1, 0, 1]]], { dtype: 'float64' }), -1e9)).toThrow(/does not broadcast/);
});

test('linearFused names the shapes it cannot multiply', () => {
  const x = tensor([[1, 2, 3]], { dtype: 'float64' });
  expect(() => linearFused(x, tensor([[1, 2]], { dtype: 'float64' }))).toThrow(/linear: cannot multiply \[1,3\] by \[1,2\]\^T/);
  expect(() => linearFused(x, tensor([[1, 2, 3]], { dtype: 'float64' }), tensor([1, 2], { dtype: 'float64' }))).toThrow(
    /bias of shape \[2\] does not match 1 outputs/,
  );
});

test('crossEntropyFused rejects what crossEntropy rejects, with the same messages', () => {
  const x = tensor([[1, 2, 3]], { dtype: 'float64' });
  expect(() => crossEntropyFused(x, [3])).toThrow(/target 3 at position 0 is out of range for 3 classes/);
  expect(() => crossEntropyFused(x, [0, 1])).toThrow(/2 targets for logits of shape \[1,3\]/);
  expect(crossEntropyFused(x, [-100], { ignoreIndex: -100 }).item()).toBe(0);
});

test('fused softmax and layerNorm fall back to the composites off the last axis', () => {
  const x = tensor(
    [
      [1, 2],
      [3, 5],
    ],
    { dtype: 'float64' },
  );
  expect(Array.from(softmaxFused(x, 0).data)).toEqual(Array.from(softmax(x, 0).data));
  expect(Array.from(layerNormFused(x, undefined, undefined, 1e-5, 2).data)).toEqual(
    Array.from(layerNorm(x, undefined, undefined, 1e-5, 2).data),
  );
});

test('float32 GELU (inline tanh) and its gradient are within 1e-6 of float64 on a dense grid over [-12, 12]', () => {
  const values = Float64Array.from({ length: 24001 }, (_, i) => -12 + i / 1000);
  const x32 = tensor(values, { dtype: 'float32', requiresGrad: true });
  // The reference sees the same float32-rounded inputs.
  const x64 = tensor(Float64Array.from(x32.data), { dtype: 'float64', requiresGrad: true });
  const y32 = geluFused(x32);
  const y64 = gelu(x64);
  expectNear(Float64Array.from(y32.data), Float64Array.from(y64.data), 1e-6, 'gelu');
  const [g32] = grad([y32], [x32], { gradOutputs: [tensor(new Float32Array(values.length).fill(1), { dtype: 'float32' })] });
  const [g64] = grad([y64], [x64], { gradOutputs: [tensor(new Float64Array(values.length).fill(1), { dtype: 'float64' })] });
  expectNear(Float64Array.from(g32!.data), Float64Array.from(g64!.data), 1e-6, 'gelu grad');
});
