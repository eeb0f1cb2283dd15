/**
 * Fused versions of the composites a transformer training step spends its time in: GELU, layer norm, softmax
 * over the last axis (with or without attention's mask), cross-entropy, and a Linear layer's product plus
 * bias. Each is a primitive whose forward is one backend kernel and whose backward is one more (a "grad"
 * primitive), instead of the ten to thirty elementwise ops, temporaries and graph nodes of the composed
 * version (ops/composite.ts), which stays the reference: test/autograd/fused.test.ts checks values and
 * gradients of both agree (float64, and float32 against the float64 composite) and gradchecks the fused ones
 * to third order in float64. The fused ops are not in the op table (table.ts): they are not new functions,
 * only faster forms of ones that are.
 *
 * Higher derivatives still work: each grad primitive's own backward is written with tensor ops (the formulas
 * are derived in the comments), so `createGraph` differentiates through it like through any composite.
 */
import { getBackend } from '../backend/registry.js';
import { apply, type Rule } from '../engine.js';
import type { RowMask } from '../backend/backend.js';
import { broadcastOffsets } from '../backend/cpu/strided.js';
import { broadcastShapes, formatShape, shapesEqual } from '../shape.js';
import { Tensor } from '../tensor.js';
import { fromValues } from '../dtype.js';
import { layerNorm as composedLayerNorm, softmax as composedSoftmax, type CrossEntropyOptions } from './composite.js';
import { add, div, mul, neg, reciprocal, sqrt, sub, tanh } from './elementwise.js';
import type { Indices } from './indexing.js';
import { matmulT } from './matmul.js';
import { checkLayerNormAffine, crossEntropyTargets, within } from './util.js';
import { mean, sum, variance } from './reduce.js';
import { reshape } from './shape.js';

type NoAttrs = Record<string, never>;
const NONE: NoAttrs = {};

/** The gradient for an input, or null when it needs none (skips the work). */
function when(input: Tensor, compute: () => Tensor): Tensor | null {
  return input.requiresGrad ? compute() : null;
}

/** [rows, cols] of a tensor viewed as rows of its last axis. */
function rowsOf(x: Tensor): [number, number] {
  const cols = x.shape[x.ndim - 1] ?? 1;
  return [cols === 0 ? 0 : x.size / cols, cols];
}

// ------------------------------------------------------------------------------------------------------ GELU

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

/**
 * gelu''(x), composed (it is only needed for second derivatives). With u = c (x + a x^3), t = tanh u,
 * u' = c (1 + 3 a x^2), u'' = 6 a c x:  gelu'' = (1 - t^2) (u' + x/2 (u'' - 2 t u'^2)).
 */
function geluSecond(x: Tensor): Tensor {
  const x2 = mul(x, x);
  const t = tanh(mul(add(x, mul(mul(x2, x), GELU_A)), GELU_C));
  const du = mul(add(mul(x2, 3 * GELU_A), 1), GELU_C);
  const ddu = mul(x, 6 * GELU_A * GELU_C);
  return mul(sub(1, mul(t, t)), add(du, mul(mul(x, 0.5), sub(ddu, mul(mul(t, 2), mul(du, du))))));
}

const geluGradRule: Rule<NoAttrs> = {
  name: 'geluGrad',
  forward: ([x, g]) => ({ data: getBackend().geluGrad(x!.data, g!.data), shape: x!.shape }),
  // geluGrad(x, g) = g gelu'(x): d/dg = gelu'(x) (this op again), d/dx = g gelu''(x)
  backward: (G, { inputs: [x, g] }) => [
    when(x!, () => mul(mul(G, g!), geluSecond(x!))),
    when(g!, () => apply(geluGradRule, [x!, G], NONE)),
  ],
};

const geluRule: Rule<NoAttrs> = {
  name: 'geluFused',
  forward: ([x]) => ({ data: getBackend().gelu(x!.data), shape: x!.shape }),
  // d gelu(x) = gelu'(x) dx
  backward: (g, { inputs: [x] }) => [apply(geluGradRule, [x!, g], NONE)],
};

/** GELU, tanh form (GPT-2), fused: the same function as `gelu` in composite.ts. */
export function geluFused(x: Tensor): Tensor {
  return apply(geluRule, [x], NONE);
}

// --------------------------------------------------------------------------------------------------- softmax

/** Rows of the last axis, and whether it is the last axis at all. */
interface RowAttrs {
  rows: number;
  cols: number;
}

/** For F = y (g - s), s = sum(g y) per row: dF_i/dy_k = d_ik (g_i - s) - y_i g_k, so G maps to G (g - s) - g sum(G y). */
function softmaxGradY(G: Tensor, y: Tensor, g: Tensor): Tensor {
  return sub(mul(G, sub(g, sum(mul(g, y), -1, true))), mul(g, sum(mul(G, y), -1, true)));
}

const softmaxGradRule: Rule<RowAttrs> = {
  name: 'softmaxGrad',
  forward: ([y, g], { rows, cols }) => ({ data: getBackend().softmaxRowsGrad(y!.data, g!.data, rows, cols), shape: y!.shape }),
  /**
   * F = y (g - s), s = sum(g y) per row. dF_i/dg_k = y_i (d_ik - y_k): the upstream G maps to y (G - sum(G y)),
   * this op again; for y see softmaxGradY.
   */
  backward: (G, { inputs: [y, g], attrs }) => [
    when(y!, () => softmaxGradY(G, y!, g!)),
    when(g!, () => apply(softmaxGradRule, [y!, G], attrs)),
  ],
};

const softmaxRule: Rule<RowAttrs> = {
  name: 'softmaxFused',
  forward: ([x], { rows, cols }) => ({ data: getBackend().softmaxRows(x!.data, rows, cols), shape: x!.shape }),
  // dx = y (g - sum(g y)) with y the output
  backward: (g, { output, attrs }) => [apply(softmaxGradRule, [output, g], attrs)],
};

/** Softmax over the last axis, fused (max-subtracted, as `softmax`); another axis uses the composite. */
export function softmaxFused(x: Tensor, axis = -1): Tensor {
  if (x.ndim === 0 || (axis !== -1 && axis !== x.ndim - 1)) return composedSoftmax(x, axis);
  const [rows, cols] = rowsOf(x);
  return apply(softmaxRule, [x], { rows, cols });
}

// ----------------------------------------------------------------------------------------- masked softmax

interface MaskedAttrs extends RowAttrs {
  mask: RowMask;
  /** The mask as a 0/1 constant of x's dtype (broadcastable to x), for the tensor-op backward rules. */
  keep: Tensor;
}

const maskedSoftmaxGradRule: Rule<MaskedAttrs> = {
  name: 'maskedSoftmaxGrad',
  forward: ([y, g], { rows, cols, mask }) => ({ data: getBackend().softmaxRowsGrad(y!.data, g!.data, rows, cols, mask), shape: y!.shape }),
  /**
   * F = M (y (g - s)): the unmasked softmax gradient with the masked entries zeroed. Both derivatives are the
   * unmasked ones applied to the masked upstream M G (M is a constant 0/1 factor on every output entry).
   */
  backward: (G, { inputs: [y, g], attrs }) => {
    const masked = mul(G, attrs.keep);
    return [when(y!, () => softmaxGradY(masked, y!, g!)), when(g!, () => apply(softmaxGradRule, [y!, masked], attrs))];
  },
};

const maskedSoftmaxRule: Rule<MaskedAttrs> = {
  name: 'maskedSoftmaxFused',
  forward: ([x], { rows, cols, mask }) => ({ data: getBackend().softmaxRows(x!.data, rows, cols, mask), shape: x!.shape }),
  // where's gradient is zero on masked entries, softmax's is y (g - sum(g y)): both in one kernel.
  backward: (g, { output, attrs }) => [apply(maskedSoftmaxGradRule, [output, g], attrs)],
};

/**
 * softmax(where(allowed, x, fill)) over the last axis, fused: attention's causal and padding mask applied inside
 * the softmax kernel. `allowed` (non-zero = keep) must broadcast to x's shape; it gets no gradient.
 */
export function maskedSoftmaxFused(x: Tensor, allowed: Tensor, fill: number): Tensor {
  let broadcast: number[];
  try {
    broadcast = broadcastShapes('maskedSoftmax', allowed.shape, x.shape);
  } catch {
    broadcast = [];
  }
  if (x.ndim === 0 || !shapesEqual(broadcast, x.shape)) {
    throw new Error(`maskedSoftmax: a mask of shape ${formatShape(allowed.shape)} does not broadcast to ${formatShape(x.shape)}`);
  }
  const [rows, cols] = rowsOf(x);
  const keep = allowed.dtype === x.dtype ? allowed.detach() : new Tensor(getBackend().cast(allowed.data, x.dtype), allowed.shape);
  const mask: RowMask = { values: keep.data, offsets: broadcastOffsets(allowed.shape, x.shape), fill };
  return apply(maskedSoftmaxRule, [x], { rows, cols, mask, keep });
}

// ------------------------------------------------------------------------------------------------ layer norm

interface NormAttrs extends RowAttrs {
  eps: number;
}

const normalizeGradRule: Rule<NormAttrs> = {
  name: 'normalizeRowsGrad',
  forward: ([x, g], { rows, cols, eps }) => ({ data: getBackend().layerNormRowsGrad(x!.data, g!.data, rows, cols, eps), shape: x!.shape }),
  /**
   * F(x, g) = J g, where J = r (I - 11^T/n - xh xh^T/n) is the (symmetric) Jacobian of the normalisation,
   * r = 1/sqrt(var + eps), xh the normalised row. So d/dg maps G to J G = F(x, G) (this op again). For x, with
   * dr/dx_k = -r^2 xh_k / n and dmean(g xh)/dx_k = F_k / n:
   *   dF_i/dx_k = -(r/n) xh_k F_i - r m J_ik - (r/n) xh_i F_k,   m = mean(g xh),
   * so G maps to -(r/n) (xh sum(G F) + F sum(G xh)) - r m F(x, G).
   */
  backward: (G, { inputs: [x, g], output: F, attrs }) => {
    const H = apply(normalizeGradRule, [x!, G], attrs);
    return [
      when(x!, () => {
        const xh = apply(normalizeRule, [x!], attrs);
        const r = reciprocal(sqrt(add(variance(x!, -1, true), attrs.eps)));
        const m = mean(mul(g!, xh), -1, true);
        const cross = add(mul(xh, sum(mul(G, F), -1, true)), mul(F, sum(mul(G, xh), -1, true)));
        return neg(add(mul(div(r, attrs.cols), cross), mul(mul(r, m), H)));
      }),
      when(g!, () => H),
    ];
  },
};

const normalizeRule: Rule<NormAttrs> = {
  name: 'normalizeRows',
  forward: ([x], { rows, cols, eps }) => ({ data: getBackend().layerNormRows(x!.data, rows, cols, eps), shape: x!.shape }),
  backward: (g, { inputs: [x], attrs }) => [apply(normalizeGradRule, [x!, g], attrs)],
};

/**
 * Layer normalisation over the last dimension, fused: the normalisation is one primitive, the affine weight
 * and bias are broadcast ops (their gradients are column sums). Other `normalizedDims` use the composite.
 */
export function layerNormFused(x: Tensor, weight?: Tensor, bias?: Tensor, eps = 1e-5, normalizedDims = 1): Tensor {
  if (normalizedDims !== 1 || x.ndim === 0) return composedLayerNorm(x, weight, bias, eps, normalizedDims);
  checkLayerNormAffine('layerNormFused', x, 1, weight, bias);
  return within('layerNormFused', () => {
    const [rows, cols] = rowsOf(x);
    let y = apply(normalizeRule, [x], { rows, cols, eps });
    if (weight) y = mul(y, weight);
    if (bias) y = add(y, bias);
    return y;
  });
}

// ---------------------------------------------------------------------------------------------------- linear

const linearRule: Rule<NoAttrs> = {
  name: 'linear',
  forward: ([x, w, b]) => {
    const [m, k] = x!.shape as [number, number];
    const n = w!.shape[0]!;
    const args = {
      a: x!.data,
      b: w!.data,
      aBatch: [],
      bBatch: [],
      batchShape: [],
      m,
      k,
      n,
      transA: false,
      transB: true,
      bias: b?.data ?? null,
    };
    return { data: getBackend().matmul(args), shape: [m, n] };
  },
  // y = x W^T + b:  dx = g W,  dW = g^T x,  db = sum of g over rows
  backward: (g, { inputs: [x, w, b] }) => [
    when(x!, () => matmulT(g, w!, false, false)),
    when(w!, () => matmulT(g, x!, true, false)),
    b ? when(b, () => sum(g, 0)) : null,
  ],
};

/**
 * A Linear layer's x [m, k] W^T [n, k] (+ b [n]) as one primitive: the bias is added while the product is
 * written out (no separate pass, no temporary), the same function as add(matmulT(x, w, false, true), b).
 */
export function linearFused(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const k = x.shape[1];
  if (x.ndim !== 2 || weight.ndim !== 2 || weight.shape[1] !== k) {
    throw new Error(
      `linear: cannot multiply ${formatShape(x.shape)} by ${formatShape(weight.shape)}^T (x must be [m, k], the weight [n, k])`,
    );
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== weight.shape[0])) {
    throw new Error(`linear: bias of shape ${formatShape(bias.shape)} does not match ${weight.shape[0]} outputs`);
  }
  return apply(linearRule, bias ? [x, weight, bias] : [x, weight], NONE);
}

// --------------------------------------------------------------------------------------------- cross-entropy

interface CrossEntropyAttrs extends RowAttrs {
  /** One class per row; -1 for an ignored row. */
  targets: Int32Array;
}

/** The one-hot rows of the targets (zero rows where ignored), and the 0/1 mask of kept rows [rows, 1]. */
function targetTensors(dtype: Tensor['dtype'], { rows, cols, targets }: CrossEntropyAttrs): [Tensor, Tensor] {
  const onehot = fromValues(dtype, new Array<number>(rows * cols).fill(0));
  const keep = fromValues(dtype, new Array<number>(rows).fill(0));
  for (let r = 0; r < rows; r++) {
    const t = targets[r]!;
    if (t < 0) continue;
    onehot[r * cols + t] = 1;
    keep[r] = 1;
  }
  return [new Tensor(onehot, [rows, cols]), new Tensor(keep, [rows, 1])];
}

const crossEntropyGradRule: Rule<CrossEntropyAttrs> = {
  name: 'crossEntropyRowsGrad',
  forward: ([x, g], { rows, cols, targets }) => ({
    data: getBackend().crossEntropyRowsGrad(x!.data, g!.data, rows, cols, targets),
    shape: x!.shape,
  }),
  /**
   * F = (p - onehot) g_r on kept rows, p = softmax(x). d/dg_r maps G to sum((p - onehot) G) over the row;
   * d/dx maps G to g_r y (G - sum(G p)), the softmax gradient of G scaled by g_r.
   */
  backward: (G, { inputs: [x, g], attrs }) => {
    const [onehot, keep] = targetTensors(x!.dtype, attrs);
    return [
      when(x!, () => {
        const p = apply(softmaxRule, [x!], attrs);
        return mul(apply(softmaxGradRule, [p, G], attrs), mul(reshape(g!, [attrs.rows, 1]), keep));
      }),
      when(g!, () => reshape(mul(sum(mul(sub(softmaxFused(x!), onehot), G), -1, true), keep), [attrs.rows])),
    ];
  },
};

const crossEntropyRule: Rule<CrossEntropyAttrs> = {
  name: 'crossEntropyRows',
  forward: ([x], { rows, cols, targets }) => ({ data: getBackend().crossEntropyRows(x!.data, rows, cols, targets), shape: [rows] }),
  // d/dx of -log softmax(x)[t] = softmax(x) - onehot(t), times the row's upstream gradient
  backward: (g, { inputs: [x], attrs }) => [apply(crossEntropyGradRule, [x!, g], attrs)],
};

/**
 * Cross-entropy of logits [..., C] against integer class targets [...], fused: the same contract as
 * `crossEntropy` (ignoreIndex, reductions 'mean' over kept targets, 'sum', 'none').
 */
export function crossEntropyFused(logits: Tensor, targets: Indices, options: CrossEntropyOptions = {}): Tensor {
  const { batchShape, index, kept } = crossEntropyTargets(logits, targets, options.ignoreIndex);
  const rows = index.length;
  const classes = logits.shape[logits.ndim - 1]!;
  const flat = reshape(logits, [rows, classes]);
  const losses = reshape(apply(crossEntropyRule, [flat], { rows, cols: classes, targets: index }), batchShape);
  const reduction = options.reduction ?? 'mean';
  if (reduction === 'none') return losses;
  if (reduction === 'sum') return sum(losses);
  return div(sum(losses), Math.max(kept, 1));
}

/** The fused primitives (forward and grad rules), for tests that walk them. */
export const FUSED_RULES = {
  geluFused: geluRule,
  geluGrad: geluGradRule,
  softmaxFused: softmaxRule,
  softmaxGrad: softmaxGradRule,
  maskedSoftmaxFused: maskedSoftmaxRule,
  maskedSoftmaxGrad: maskedSoftmaxGradRule,
  normalizeRows: normalizeRule,
  normalizeRowsGrad: normalizeGradRule,
  crossEntropyRows: crossEntropyRule,
  crossEntropyRowsGrad: crossEntropyGradRule,
  linear: linearRule,
} as const;
