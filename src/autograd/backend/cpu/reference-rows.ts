/**
 * Reference row kernels: softmax, log-sum-exp and the fused ops (ops/fused.ts), each one plain pass over the
 * rows of a [rows, cols] row-major array, in JavaScript numbers (float64) with Math.exp and Math.tanh, rounded
 * once into the input's dtype. The formulas are those of the composed ops they replace (ops/composite.ts).
 * The tuned backend keeps layerNormRows, layerNormRowsGrad and softmaxRowsGrad as they are here; it replaces
 * the ones with an exp or a tanh for float32 (tuned-rows.ts).
 */
import { allocate, dtypeOf, type TypedArray } from '../../dtype.js';
import type { RowMask } from '../backend.js';

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

/** A row's maximum, NaN if any entry is NaN; an empty row gives -inf. */
function rowMax(x: TypedArray, base: number, cols: number): number {
  let max = -Infinity;
  for (let c = 0; c < cols; c++) if (!(x[base + c]! <= max)) max = x[base + c]!;
  return max;
}

/**
 * The shift that keeps every exp(x - shift) <= 1: the row maximum, or 0 when it is not finite (a row of
 * -inf keeps exp(-inf) = 0 rather than exp(-inf + inf) = NaN).
 */
function rowShift(x: TypedArray, base: number, cols: number): number {
  const max = rowMax(x, base, cols);
  return Number.isFinite(max) ? max : 0;
}

/** sum_c exp(x[base + c] - shift). */
function rowExpSum(x: TypedArray, base: number, cols: number, shift: number): number {
  let s = 0;
  for (let c = 0; c < cols; c++) s += Math.exp(x[base + c]! - shift);
  return s;
}

/** softmax(where(mask, x, fill)) per row: exp(x - max) / sum exp(x - max). */
export function softmaxRows(x: TypedArray, rows: number, cols: number, mask?: RowMask): TypedArray {
  const out = allocate(dtypeOf(x), x.length);
  const masked = allocate(dtypeOf(x), x.length);
  for (let i = 0; i < x.length; i++) masked[i] = mask && mask.values[mask.offsets[i]!] === 0 ? mask.fill : x[i]!;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    const shift = rowShift(masked, base, cols);
    const sum = rowExpSum(masked, base, cols, shift);
    for (let c = 0; c < cols; c++) out[base + c] = Math.exp(masked[base + c]! - shift) / sum;
  }
  return out;
}

/** max + log sum exp(x - max) per row; a row whose max is not finite gives that max (-inf, +inf or NaN). */
export function logSumExpRows(x: TypedArray, rows: number, cols: number): TypedArray {
  const out = allocate(dtypeOf(x), rows);
  for (let r = 0; r < rows; r++) {
    const max = rowMax(x, r * cols, cols);
    out[r] = Number.isFinite(max) ? max + Math.log(rowExpSum(x, r * cols, cols, max)) : max;
  }
  return out;
}

/** GELU, tanh form (GPT-2): 0.5 x (1 + tanh(c (x + a x^3))). */
export function gelu(x: TypedArray): TypedArray {
  const out = allocate(dtypeOf(x), x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    out[i] = 0.5 * v * (1 + Math.tanh(GELU_C * (v + GELU_A * v * v * v)));
  }
  return out;
}

/** g * gelu'(x), gelu'(x) = 0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 a x^2), t = tanh(c (x + a x^3)). */
export function geluGrad(x: TypedArray, g: TypedArray): TypedArray {
  const out = allocate(dtypeOf(x), x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    const t = Math.tanh(GELU_C * (v + GELU_A * v * v * v));
    out[i] = g[i]! * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * GELU_C * (1 + 3 * GELU_A * v * v));
  }
  return out;
}

/** Row mean and 1 / sqrt(population variance + eps) of a row, the variance from the centred values. */
function rowStats(x: TypedArray, base: number, cols: number, eps: number): [number, number] {
  let s = 0;
  for (let c = 0; c < cols; c++) s += x[base + c]!;
  const mu = s / cols;
  let v = 0;
  for (let c = 0; c < cols; c++) {
    const d = x[base + c]! - mu;
    v += d * d;
  }
  return [mu, 1 / Math.sqrt(v / cols + eps)];
}

/** Layer normalisation without affine parameters: (x - mean) / sqrt(var + eps) per row. */
export function layerNormRows(x: TypedArray, rows: number, cols: number, eps: number): TypedArray {
  const out = allocate(dtypeOf(x), x.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    const [mu, rstd] = rowStats(x, base, cols, eps);
    for (let c = 0; c < cols; c++) out[base + c] = (x[base + c]! - mu) * rstd;
  }
  return out;
}

/**
 * The gradient through layerNormRows: with xh the normalised row and r = 1 / sqrt(var + eps),
 * dx = r (g - mean(g) - xh mean(g xh)).
 */
export function layerNormRowsGrad(x: TypedArray, g: TypedArray, rows: number, cols: number, eps: number): TypedArray {
  const out = allocate(dtypeOf(x), x.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    const [mu, rstd] = rowStats(x, base, cols, eps);
    let sg = 0;
    let sgx = 0;
    for (let c = 0; c < cols; c++) {
      const gc = g[base + c]!;
      sg += gc;
      sgx += gc * (x[base + c]! - mu) * rstd;
    }
    const mg = sg / cols;
    const mgx = sgx / cols;
    for (let c = 0; c < cols; c++) out[base + c] = rstd * (g[base + c]! - mg - (x[base + c]! - mu) * rstd * mgx);
  }
  return out;
}

/** The gradient through a row softmax y: dx = y (g - sum(g y)); with a mask, 0 on masked entries. */
export function softmaxRowsGrad(y: TypedArray, g: TypedArray, rows: number, cols: number, mask?: RowMask): TypedArray {
  const out = allocate(dtypeOf(y), y.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let s = 0;
    for (let c = 0; c < cols; c++) s += g[base + c]! * y[base + c]!;
    for (let c = 0; c < cols; c++) out[base + c] = y[base + c]! * (g[base + c]! - s);
  }
  if (mask) for (let i = 0; i < out.length; i++) if (mask.values[mask.offsets[i]!] === 0) out[i] = 0;
  return out;
}

/**
 * Per-row cross-entropy of logits against class targets: -log softmax(x)[t] = log sum exp(x - m) - (x[t] - m),
 * m the row's shift; rows whose target is negative (ignored) give 0.
 */
export function crossEntropyRows(x: TypedArray, rows: number, cols: number, targets: Int32Array): TypedArray {
  const out = allocate(dtypeOf(x), rows);
  for (let r = 0; r < rows; r++) {
    const t = targets[r]!;
    if (t < 0) continue;
    const base = r * cols;
    const m = rowShift(x, base, cols);
    out[r] = Math.log(rowExpSum(x, base, cols, m)) - (x[base + t]! - m);
  }
  return out;
}

/** The gradient of crossEntropyRows with per-row upstream g: (softmax(x) - onehot(t)) g_r; 0 on ignored rows. */
export function crossEntropyRowsGrad(x: TypedArray, g: TypedArray, rows: number, cols: number, targets: Int32Array): TypedArray {
  const out = allocate(dtypeOf(x), x.length);
  for (let r = 0; r < rows; r++) {
    const t = targets[r]!;
    if (t < 0) continue;
    const base = r * cols;
    const m = rowShift(x, base, cols);
    const s = rowExpSum(x, base, cols, m);
    // p - 1 at the target in float64: for a confident prediction p is close to 1 and float32 would cancel.
    for (let c = 0; c < cols; c++) out[base + c] = (Math.exp(x[base + c]! - m) / s - (c === t ? 1 : 0)) * g[r]!;
  }
  return out;
}
