/**
 * Numerical stability (tinygrad's shifted ranges): for inputs shifted to +-1000 and drawn from [300, 400] or
 * [-400, -300], the stable composites give finite values and gradients equal to float64 closed forms.
 * A softmax without max subtraction overflows to NaN here; a naive log(1 + exp(x)) overflows to Infinity.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import * as ag from '../../src/autograd/index.js';
import { grad, tensor, type DType, type Tensor } from '../../src/autograd/index.js';
import '../helpers/allclose.js';
import { valuesArb } from '../helpers/generators.js';

const ROWS = 3;
const COLS = 5;

/** Values shifted far from 0: a grid in [-3, 3] plus +-1000, and tinygrad's [300, 400] and [-400, -300]. */
const SHIFTED: Record<string, (n: number) => fc.Arbitrary<number[]>> = {
  '+1000': (n) => valuesArb(n, { low: -3, high: 3 }).map((v) => v.map((x) => x + 1000)),
  '-1000': (n) => valuesArb(n, { low: -3, high: 3 }).map((v) => v.map((x) => x - 1000)),
  '[300, 400]': (n) => valuesArb(n, { low: 300, high: 400 }),
  '[-400, -300]': (n) => valuesArb(n, { low: -400, high: -300 }),
};
/** Every (dtype, range) pair: each range is tested on its own, not left to the chance of a draw. */
const SETTINGS = (['float64', 'float32'] as const).flatMap((dtype) => Object.keys(SHIFTED).map((range) => [dtype, range] as const));

/** Upstream gradients for the VJP comparisons. */
const upstream = (n: number): fc.Arbitrary<number[]> => valuesArb(n, { low: -1, high: 1 });

// ---- float64 closed forms, each written in its stable form ----

function rows(v: readonly number[]): number[][] {
  return Array.from({ length: ROWS }, (_, r) => v.slice(r * COLS, (r + 1) * COLS));
}

function softmaxRow(row: readonly number[]): number[] {
  const m = Math.max(...row);
  const e = row.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

function logsumexpRow(row: readonly number[]): number {
  const m = Math.max(...row);
  return m + Math.log(row.reduce((a, x) => a + Math.exp(x - m), 0));
}

const dot = (a: readonly number[], b: readonly number[]): number => a.reduce((s, x, i) => s + x * b[i]!, 0);

/** sigmoid without overflow on either side. */
const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
/** softplus(x) = log(1 + e^x), without overflow. */
const softplus = (x: number): number => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));

interface ClosedForm {
  op: (x: Tensor) => Tensor;
  /** Output values (flattened) and d<g, out>/dx for upstream g, given x and g flattened. */
  value: (x: number[]) => number[];
  vjp: (x: number[], g: number[]) => number[];
  /** Output shape for an input of shape [ROWS, COLS]. */
  outShape: number[];
}

const ELEMENTWISE_SHAPE = [ROWS, COLS];

const FORMS: Record<'softmax' | 'logSoftmax' | 'logsumexp' | 'logsigmoid' | 'softplus' | 'sigmoid', ClosedForm> = {
  softmax: {
    op: (x) => ag.softmax(x, -1),
    value: (x) => rows(x).flatMap(softmaxRow),
    // d<g, s>/dx = s * (g - <g, s>) per row
    vjp: (x, g) =>
      rows(x).flatMap((row, r) => {
        const s = softmaxRow(row);
        const gr = rows(g)[r]!;
        const gs = dot(gr, s);
        return s.map((si, i) => si * (gr[i]! - gs));
      }),
    outShape: [ROWS, COLS],
  },
  logSoftmax: {
    op: (x) => ag.logSoftmax(x, -1),
    value: (x) => rows(x).flatMap((row) => row.map((v) => v - logsumexpRow(row))),
    // d<g, x - lse(x)>/dx = g - softmax(x) sum(g)
    vjp: (x, g) =>
      rows(x).flatMap((row, r) => {
        const s = softmaxRow(row);
        const gr = rows(g)[r]!;
        const total = gr.reduce((a, b) => a + b, 0);
        return gr.map((gi, i) => gi - s[i]! * total);
      }),
    outShape: [ROWS, COLS],
  },
  logsumexp: {
    op: (x) => ag.logsumexp(x, -1),
    value: (x) => rows(x).map(logsumexpRow),
    // d<g, lse(x)>/dx = g softmax(x)
    vjp: (x, g) => rows(x).flatMap((row, r) => softmaxRow(row).map((s) => s * g[r]!)),
    outShape: [ROWS],
  },
  logsigmoid: {
    op: ag.logsigmoid,
    value: (x) => x.map((v) => -softplus(-v)),
    vjp: (x, g) => x.map((v, i) => g[i]! * sigmoid(-v)),
    outShape: ELEMENTWISE_SHAPE,
  },
  softplus: {
    op: ag.softplus,
    value: (x) => x.map(softplus),
    vjp: (x, g) => x.map((v, i) => g[i]! * sigmoid(v)),
    outShape: ELEMENTWISE_SHAPE,
  },
  sigmoid: {
    op: ag.sigmoid,
    value: (x) => x.map(sigmoid),
    vjp: (x, g) => x.map((v, i) => g[i]! * sigmoid(v) * (1 - sigmoid(v))),
    outShape: ELEMENTWISE_SHAPE,
  },
};

const F64 = { atol: 1e-12, rtol: 1e-9 };
/**
 * float32: the reference is evaluated at the float32-rounded inputs, so only the op's own rounding remains;
 * near 1000 one float32 ulp is 6.1e-5, and x - logsumexp(x) inherits a few of them as absolute error.
 */
const F32 = { atol: 2e-4, rtol: 1e-4 };

function checkForm(form: ClosedForm, xs: number[], gs: number[], dtype: DType): void {
  const x = tensor(Float64Array.from(xs), { shape: [ROWS, COLS], dtype, requiresGrad: true });
  const out = form.op(x);
  const g = tensor(Float64Array.from(gs.slice(0, out.size)), { shape: out.shape, dtype });
  const [dx] = grad(out, [x], { gradOutputs: [g] });
  expect(out.data.every(Number.isFinite)).toBe(true);
  expect(dx!.data.every(Number.isFinite)).toBe(true);
  const seen = Array.from(x.data);
  const gSeen = Array.from(g.data);
  const tol = dtype === 'float64' ? F64 : F32;
  expect(out).toBeAllclose(tensor(form.value(seen), { shape: form.outShape, dtype: 'float64' }), tol);
  expect(dx!).toBeAllclose(tensor(form.vjp(seen, gSeen), { shape: [ROWS, COLS], dtype: 'float64' }), tol);
}

describe.each(Object.keys(FORMS) as (keyof typeof FORMS)[])('%s at shifted inputs', (name) => {
  const form = FORMS[name];
  test.each(SETTINGS)('%s, %s: finite, and values and gradients equal the closed form', (dtype, range) => {
    fc.assert(
      fc.property(SHIFTED[range]!(ROWS * COLS), upstream(ROWS * COLS), (xs, gs) => {
        checkForm(form, xs, gs, dtype);
      }),
    );
  });
});

describe('crossEntropy at shifted logits', () => {
  test.each(SETTINGS)('%s, %s: mean loss and its gradient (softmax - onehot) / N equal the closed form', (dtype, range) => {
    fc.assert(
      fc.property(
        SHIFTED[range]!(ROWS * COLS),
        fc.array(fc.integer({ min: 0, max: COLS - 1 }), { minLength: ROWS, maxLength: ROWS }),
        (xs, targets) => {
          const x = tensor(Float64Array.from(xs), { shape: [ROWS, COLS], dtype, requiresGrad: true });
          const loss = ag.crossEntropy(x, targets);
          const [dx] = grad(loss, [x]);
          const seen = rows(Array.from(x.data));
          const expected = seen.reduce((s, row, r) => s + logsumexpRow(row) - row[targets[r]!]!, 0) / ROWS;
          const expectedGrad = seen.flatMap((row, r) => softmaxRow(row).map((p, i) => (p - (i === targets[r] ? 1 : 0)) / ROWS));
          expect(Number.isFinite(loss.item())).toBe(true);
          expect(dx!.data.every(Number.isFinite)).toBe(true);
          const tol = dtype === 'float64' ? F64 : F32;
          expect(loss).toBeAllclose(expected, tol);
          expect(dx!).toBeAllclose(tensor(expectedGrad, { shape: [ROWS, COLS], dtype: 'float64' }), tol);
        },
      ),
    );
  });
});

describe('layerNorm stability', () => {
  test('a constant row normalises to 0 with a finite gradient (eps keeps 1/sqrt(var + eps) finite)', () => {
    for (const c of [0, 1000, -1000]) {
      const x = tensor(new Float64Array(6).fill(c), { shape: [2, 3], dtype: 'float64', requiresGrad: true });
      const y = ag.layerNorm(x);
      expect(y).toBeAllclose(new Float64Array(6), { atol: 0, rtol: 0 });
      const [dx] = grad(y, [x], {
        gradOutputs: [
          tensor(
            [
              [1, -2, 0.5],
              [3, 0, -1],
            ],
            { dtype: 'float64' },
          ),
        ],
      });
      expect(dx!.data.every(Number.isFinite)).toBe(true);
    }
  });

  test('inputs shifted by +-1000 normalise like the unshifted ones', () => {
    fc.assert(
      fc.property(valuesArb(6, { low: -3, high: 3 }), fc.constantFrom(1000, -1000), (v, shift) => {
        const x = tensor(Float64Array.from(v), { shape: [2, 3], dtype: 'float64' });
        const shifted = tensor(Float64Array.from(v.map((u) => u + shift)), { shape: [2, 3], dtype: 'float64' });
        expect(ag.layerNorm(shifted)).toBeAllclose(ag.layerNorm(x), { atol: 1e-9, rtol: 1e-9 });
      }),
    );
  });
});
