/**
 * Composite ops, built only from primitives: their gradients come from the primitives' rules, so they need no
 * backward code of their own and are twice differentiable wherever their parts are. Each is written to be
 * numerically stable for any finite input (checked by the stability tests at +-1000).
 */
import { zeros } from '../creation.js';
import { fromValues } from '../dtype.js';
import { normalizeAxis, formatShape } from '../shape.js';
import { defaultGenerator, type Generator } from '../random.js';
import { noGrad } from '../engine.js';
import { Tensor } from '../tensor.js';
import { abs, add, div, exp, gt, log, log1p, lt, mul, neg, sqrt, sub, tanh, where } from './elementwise.js';
import { gather, type Indices } from './indexing.js';
import { checkLayerNormAffine, crossEntropyTargets, within } from './util.js';
import { max, mean, sum, variance } from './reduce.js';
import { reshape } from './shape.js';

/**
 * softplus(x) = log(1 + e^x), split at 0 into the two forms that cannot overflow: log1p(e^x) for x <= 0 and
 * x + log1p(e^-x) for x > 0, i.e. p + log1p(e^(n - p)) with p = x, n = 0 on the positive side and p = 0, n = x
 * on the other. Both p and n come from one `where` on x > 0, so the side a point falls on is the same for every
 * term and every order of derivative: at x = 0 every derivative is that of log1p(e^x), which is smooth there
 * (1/2, 1/4, 0, ...). The kinked form max(x, 0) + log1p(e^-|x|) has the right value and first derivative but
 * second derivative 0 at x = 0 (abs and the tie of maximum contribute nothing there), not 1/4.
 */
export function softplus(x: Tensor): Tensor {
  const positive = gt(x, 0);
  const p = where(positive, x, 0);
  const n = where(positive, 0, x);
  return add(p, log1p(exp(sub(n, p))));
}

/** log sigmoid(x) = -softplus(-x). */
export function logsigmoid(x: Tensor): Tensor {
  return neg(softplus(neg(x)));
}

/** sigmoid(x) = exp(log sigmoid(x)): never overflows, and keeps relative precision for very negative x. */
export function sigmoid(x: Tensor): Tensor {
  return exp(logsigmoid(x));
}

/**
 * The row maximum along axis `a` (keepdim), held constant: subtracting it keeps exp from overflowing, and the
 * results below do not depend on it, so no gradient flows through it. An infinite maximum (a row of -inf, or
 * an inf entry) would make x - m NaN; 0 is used instead, which keeps -inf rows at -inf.
 */
function maxShift(x: Tensor, a: number): Tensor {
  // An empty tensor has no maximum to take (max refuses it); any constant shift gives the same results.
  if (x.size === 0)
    return zeros(
      x.shape.map((d, i) => (i === a ? 1 : d)),
      { dtype: x.dtype },
    );
  return noGrad(() => {
    const raw = max(x.detach(), a, true);
    return where(lt(abs(raw), Infinity), raw, 0);
  });
}

/** log sum_i exp(x_i) along `axis`, max-subtracted: m + log(sum(exp(x - m))). Rows that are all -inf give -inf. */
export function logsumexp(x: Tensor, axis = -1, keepdim = false): Tensor {
  const a = normalizeAxis('logsumexp', axis, x.ndim);
  const m = maxShift(x, a);
  const out = add(log(sum(exp(sub(x, m)), a, true)), m);
  return keepdim
    ? out
    : reshape(
        out,
        x.shape.filter((_, i) => i !== a),
      );
}

/**
 * log softmax along `axis`: (x - m) - log(sum(exp(x - m))). Written with the shifted x rather than as
 * x - logsumexp(x): x - m is exact for the entries near the maximum (the ones that matter), while
 * x - logsumexp(x) loses the low bits of large logits in float32.
 */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const a = normalizeAxis('logSoftmax', axis, x.ndim);
  const shifted = sub(x, maxShift(x, a));
  return sub(shifted, log(sum(exp(shifted), a, true)));
}

/** softmax along `axis`: exp(x - m) / sum(exp(x - m)), max-subtracted; rows sum to 1 to rounding. */
export function softmax(x: Tensor, axis = -1): Tensor {
  const a = normalizeAxis('softmax', axis, x.ndim);
  const e = exp(sub(x, maxShift(x, a)));
  return div(e, sum(e, a, true));
}

const GELU_C = Math.sqrt(2 / Math.PI);

/** GELU, tanh form (GPT-2): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
export function gelu(x: Tensor): Tensor {
  const inner = mul(add(x, mul(mul(mul(x, x), x), 0.044715)), GELU_C);
  return mul(mul(x, 0.5), add(tanh(inner), 1));
}

/** Layer normalisation over the last `normalizedDims` dimensions, with optional affine weight and bias. */
export function layerNorm(x: Tensor, weight?: Tensor, bias?: Tensor, eps = 1e-5, normalizedDims = 1): Tensor {
  if (normalizedDims < 1 || normalizedDims > x.ndim) {
    throw new Error(`layerNorm: cannot normalise the last ${normalizedDims} dims of ${formatShape(x.shape)}`);
  }
  checkLayerNormAffine('layerNorm', x, normalizedDims, weight, bias);
  return within('layerNorm', () => {
    const axes = Array.from({ length: normalizedDims }, (_, i) => x.ndim - normalizedDims + i);
    const mu = mean(x, axes, true);
    const v = variance(x, axes, true);
    let y = div(sub(x, mu), sqrt(add(v, eps)));
    if (weight) y = mul(y, weight);
    if (bias) y = add(y, bias);
    return y;
  });
}

export interface CrossEntropyOptions {
  /** Targets equal to this value contribute nothing and are not counted in the mean (padding). */
  ignoreIndex?: number;
  reduction?: 'mean' | 'sum' | 'none';
}

/**
 * Cross-entropy of logits [..., C] against integer class targets [...]: -log softmax(logits)[target].
 * With reduction 'mean', the mean over targets that are not `ignoreIndex` (0 if every target is ignored).
 */
export function crossEntropy(logits: Tensor, targets: Indices, options: CrossEntropyOptions = {}): Tensor {
  const { batchShape, index, kept } = crossEntropyTargets(logits, targets, options.ignoreIndex);
  // Ignored positions gather class 0 (any valid index) and are then multiplied by 0.
  const safe = fromValues(
    logits.dtype,
    Array.from(index, (t) => Math.max(t, 0)),
  );
  const keep = fromValues(
    logits.dtype,
    Array.from(index, (t) => (t < 0 ? 0 : 1)),
  );
  const logp = logSoftmax(logits, -1);
  const picked = reshape(gather(logp, -1, new Tensor(safe, [...batchShape, 1])), batchShape);
  const losses = mul(neg(picked), new Tensor(keep, batchShape));
  const reduction = options.reduction ?? 'mean';
  if (reduction === 'none') return losses;
  if (reduction === 'sum') return sum(losses);
  return div(sum(losses), Math.max(kept, 1));
}

export interface DropoutOptions {
  generator?: Generator;
  /** Dropout is the identity when not training. */
  training?: boolean;
}

/** Inverted dropout: zeroes each element with probability p and scales the rest by 1 / (1 - p). */
export function dropout(x: Tensor, p: number, options: DropoutOptions = {}): Tensor {
  if (!(p >= 0 && p < 1)) throw new Error(`dropout: p must be in [0, 1), got ${p}`);
  if (options.training === false || p === 0) return x;
  const gen = options.generator ?? defaultGenerator();
  const mask = fromValues(
    x.dtype,
    Array.from({ length: x.size }, () => (gen.random() < p ? 0 : 1 / (1 - p))),
  );
  return mul(x, new Tensor(mask, x.shape));
}

/** Mean squared error, a convenience built from primitives. */
export function mseLoss(prediction: Tensor, target: Tensor): Tensor {
  return within('mseLoss', () => {
    const d = sub(prediction, target);
    return mean(mul(d, d));
  });
}
