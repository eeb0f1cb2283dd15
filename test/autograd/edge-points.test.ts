/**
 * Gradients at the points the random op cases keep away from, against the values PyTorch 1.13 gives in float64
 * (written out here; PyTorch is not a dependency of the tests):
 *   - softplus, logsigmoid and sigmoid at exactly x = 0, to second order: (1/2, 1/4), (1/2, -1/4), (1/4, 0);
 *   - pow at base 0: d/dx x^0 = 0, d²/dx² x^1 = 0, d/db 0^b = 0 for b >= 0 (and -inf at b = -1);
 *   - the softmax family and cross-entropy on empty tensors: composite and fused agree, the gradient is empty;
 *   - gradcheck of a function that returns no tensor: a plain error.
 * Each runs on every backend the op suite runs on (cpu, cpu-reference, wasm, gpujs with every kernel forced),
 * in float64 and float32; gradgradcheck (float64 finite differences) at the same points.
 */
import { afterAll, describe, expect, test } from 'vitest';
import * as ag from '../../src/autograd/index.js';
import { createGpujsBackend, gradcheck, gradgradcheck, tensor, type DType, type Tensor } from '../../src/autograd/index.js';
import { withBackend, type Backend, type BackendName } from '../../src/autograd/backend/index.js';
import '../helpers/allclose.js';

const forcedGpujs = createGpujsBackend({
  routing: { minMatmulMacs: 0, minMatmulRows: 0, minMatmulK: 0, minRowElements: 0, minSoftmaxElements: 0 },
});
afterAll(() => forcedGpujs.destroy());

const BACKENDS: readonly (readonly [string, BackendName | Backend])[] = [
  ['cpu', 'cpu'],
  ['cpu-reference', 'cpu-reference'],
  ['wasm', 'wasm'],
  ['gpujs (forced)', forcedGpujs],
];
const SETTINGS = BACKENDS.flatMap(([name, backend]) => (['float64', 'float32'] as const).map((dtype) => ({ name, backend, dtype })));
/** float32 at 0 is exact for these values up to the last bits of exp/log. */
const tol = (dtype: DType) => (dtype === 'float64' ? { atol: 1e-15, rtol: 1e-15 } : { atol: 1e-6, rtol: 1e-6 });

/** [f'(v), f''(v)] of a scalar function, the second by differentiating the first (createGraph). */
function firstAndSecond(fn: (x: Tensor) => Tensor, v: number, dtype: DType): [number, number] {
  const x = tensor(v, { dtype, requiresGrad: true });
  const [g] = ag.grad(fn(x), [x], { createGraph: true });
  const [h] = ag.grad(g!, [x], { allowUnused: true });
  return [g!.item(), h?.item() ?? 0];
}

/** PyTorch 1.13 float64: torch.autograd.grad twice at x = 0. */
const AT_ZERO: readonly (readonly [string, (x: Tensor) => Tensor, number, number])[] = [
  ['softplus', ag.softplus, 0.5, 0.25],
  ['logsigmoid', ag.logsigmoid, 0.5, -0.25],
  ['sigmoid', ag.sigmoid, 0.25, 0],
];

describe.each(SETTINGS)('second derivatives at exactly 0 on $name, $dtype', ({ backend, dtype }) => {
  test.each(AT_ZERO)("%s: f'(0) and f''(0) are PyTorch's", (_op, fn, first, second) => {
    const [g, h] = withBackend(backend, () => firstAndSecond(fn, 0, dtype));
    expect(tensor([g, h])).toBeAllclose([first, second], tol(dtype));
  });

  test('pow at base 0: d/dx x^e and d²/dx² x^e are PyTorch’s, finite where PyTorch’s are', () => {
    // [exponent, d/dx, d²/dx²] at x = 0 (PyTorch 1.13: x^0 has a constant-zero gradient).
    const cases = [
      [0, 0, 0],
      [1, 1, 0],
      [2, 0, 2],
      [3, 0, 0],
      [0.5, Infinity, -Infinity],
      [-1, -Infinity, Infinity],
    ] as const;
    for (const [e, first, second] of cases) {
      const [g, h] = withBackend(backend, () => firstAndSecond((x) => ag.pow(x, e), 0, dtype));
      expect([e, g, h]).toEqual([e, first, second]);
    }
  });

  test('pow at base 0: d/db 0^b is 0 for b >= 0 (0^b log 0 would be NaN) and -inf at b = -1', () => {
    for (const [b, expected] of [
      [0, 0],
      [0.5, 0],
      [1, 0],
      [2, 0],
      [-1, -Infinity],
    ] as const) {
      const [g] = withBackend(backend, () => firstAndSecond((t) => ag.pow(0, t), b, dtype));
      expect([b, g]).toEqual([b, expected]);
    }
  });

  test('pow with both operands tensors at base 0: each gradient as PyTorch gives it, whichever requires grad', () => {
    // torch: x = 0, b = 2 -> (dx, db) = (0, 0); x = 0, b = 1 -> (1, 0); x = 0, b = 0 -> (0, 0).
    for (const [b, dx, db] of [
      [2, 0, 0],
      [1, 1, 0],
      [0, 0, 0],
    ] as const) {
      for (const [gx, gb] of [
        [true, true],
        [true, false],
        [false, true],
      ] as const) {
        const x = tensor([0], { dtype, requiresGrad: gx });
        const e = tensor([b], { dtype, requiresGrad: gb });
        const wrt = [...(gx ? [x] : []), ...(gb ? [e] : [])];
        const grads = withBackend(backend, () => ag.grad(ag.sum(ag.pow(x, e)), wrt)).map((g) => g!.item());
        expect(grads).toEqual([...(gx ? [dx] : []), ...(gb ? [db] : [])]);
      }
    }
  });
});

describe('gradgradcheck at the edge points (float64 finite differences)', () => {
  const at = (values: number[]) => [tensor(values, { dtype: 'float64', requiresGrad: true })];

  test.each(AT_ZERO)('%s at 0 and beside it', (_op, fn) => {
    expect(gradcheck(fn, at([0, -1e-3, 1e-3]))).toBe(true);
    expect(gradgradcheck(fn, at([0, -1e-3, 1e-3]))).toBe(true);
  });

  test('x^e at base 0 for e = 0, 1, 2, 3 (the exponent a constant)', () => {
    for (const e of [0, 1, 2, 3]) {
      // x^0 and x^1 are also checked at 0 from both sides: central differences straddle 0.
      expect(gradcheck((x) => ag.pow(x, e), at([0]))).toBe(true);
      expect(gradgradcheck((x) => ag.pow(x, e), at([0]))).toBe(true);
    }
  });

  test('0^b in b for b > 0 (0^b is constant 0 there)', () => {
    expect(gradcheck((b) => ag.pow(0, b), at([0.5, 1, 2]))).toBe(true);
    expect(gradgradcheck((b) => ag.pow(0, b), at([0.5, 1, 2]))).toBe(true);
  });
});

// ---- empty tensors --------------------------------------------------------------------------------------

const EMPTY_SHAPES = [[0, 3], [2, 0], [0], [0, 0], [2, 0, 3]] as const;

/** Values and the input gradient of sum(f(x)), x zeros of `shape` (every gradient is empty or zero). */
function valueAndGrad(f: (x: Tensor) => Tensor, shape: readonly number[], dtype: DType): { value: Tensor; grad: Tensor } {
  const x = ag.zeros(shape, { dtype, requiresGrad: true });
  const value = f(x);
  const [g] = ag.grad(ag.sum(value), [x], { allowUnused: true });
  return { value, grad: g ?? ag.zeros(shape, { dtype }) };
}

function expectSame(a: { value: Tensor; grad: Tensor }, b: { value: Tensor; grad: Tensor }): void {
  expect(a.value.shape).toEqual(b.value.shape);
  expect(a.value.toFlatArray()).toEqual(b.value.toFlatArray());
  expect(a.grad.shape).toEqual(b.grad.shape);
  expect(a.grad.toFlatArray()).toEqual(b.grad.toFlatArray());
}

describe.each(SETTINGS)('empty tensors on $name, $dtype', ({ backend, dtype }) => {
  test.each(EMPTY_SHAPES.map((s) => [JSON.stringify(s), s] as const))(
    'softmax and logSoftmax of %s: composite == fused, empty',
    (_s, shape) => {
      withBackend(backend, () => {
        const composite = valueAndGrad((x) => ag.softmax(x), shape, dtype);
        expectSame(
          composite,
          valueAndGrad((x) => ag.softmaxFused(x), shape, dtype),
        );
        expect(composite.value.shape).toEqual(shape);
        const log = valueAndGrad((x) => ag.logSoftmax(x), shape, dtype);
        expect(log.value.shape).toEqual(shape);
        expect(log.grad.shape).toEqual(shape);
      });
    },
  );

  test('logsumexp over an empty axis is -inf (log 0), over a non-empty axis of an empty tensor empty (as PyTorch)', () => {
    withBackend(backend, () => {
      expectSame(
        valueAndGrad((x) => ag.logsumexp(x, -1), [2, 0], dtype),
        {
          value: tensor([-Infinity, -Infinity], { dtype }),
          grad: ag.zeros([2, 0], { dtype }),
        },
      );
      expectSame(
        valueAndGrad((x) => ag.logsumexp(x, 0, true), [0, 3], dtype),
        {
          value: tensor([[-Infinity, -Infinity, -Infinity]], { dtype }),
          grad: ag.zeros([0, 3], { dtype }),
        },
      );
      expectSame(
        valueAndGrad((x) => ag.logsumexp(x, -1), [0, 3], dtype),
        { value: ag.zeros([0], { dtype }), grad: ag.zeros([0, 3], { dtype }) },
      );
    });
  });

  test.each(['mean', 'sum', 'none'] as const)('crossEntropy of zero rows, reduction %s: composite == fused', (reduction) => {
    withBackend(backend, () => {
      for (const shape of [
        [0, 3],
        [2, 0, 4],
      ]) {
        const composite = valueAndGrad((x) => ag.crossEntropy(x, [], { reduction }), shape, dtype);
        expectSame(
          composite,
          valueAndGrad((x) => ag.crossEntropyFused(x, [], { reduction }), shape, dtype),
        );
        // 'none' keeps the rows' (empty) shape; 'mean' of nothing is 0 here (the every-target-ignored rule).
        expect(composite.value.shape).toEqual(reduction === 'none' ? shape.slice(0, -1) : []);
        if (reduction !== 'none') expect(composite.value.item()).toBe(0);
      }
      // Rows that are all ignored: no kept row either, the same zeros both ways.
      const ignored = { ignoreIndex: -100, reduction };
      expectSame(
        valueAndGrad((x) => ag.crossEntropy(x, [-100, -100], ignored), [2, 3], dtype),
        valueAndGrad((x) => ag.crossEntropyFused(x, [-100, -100], ignored), [2, 3], dtype),
      );
    });
  });
});

describe('gradcheck of a function that returns no tensor', () => {
  const x = () => [tensor([1, 2], { dtype: 'float64', requiresGrad: true })];
  test.each([
    ['a number', () => 3, /got number 3/],
    ['undefined', () => undefined, /got undefined/],
    ['an array with a number', (t: Tensor) => [t, 1], /got an array holding Tensor, number 1/],
  ] as const)('%s: a plain error naming what it got', (_what, fn, detail) => {
    const bad = fn as unknown as (t: Tensor) => Tensor;
    expect(() => gradcheck(bad, x())).toThrow(/^gradcheck: fn must return a Tensor or an array of Tensors/);
    expect(() => gradcheck(bad, x())).toThrow(detail);
    expect(() => gradgradcheck(bad, x())).toThrow(/fn must return a Tensor or an array of Tensors/);
  });
});
