/**
 * Reference kernels of the fused ops (ops/fused.ts): each is one pass over rows of a [rows, cols] row-major
 * array, computing in JavaScript numbers (float64) and rounding once into the input's dtype. The formulas are
 * those of the composed ops they replace (ops/composite.ts); the fused op tests check both agree.
 */
import { allocate, dtypeOf, type TypedArray } from '../dtype.js';
import type { RowMask } from './backend.js';
import { rowMax, shiftedRowExps, tanhFloat32 } from './fast-math.js';

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

/** GELU, tanh form (GPT-2): 0.5 x (1 + tanh(c (x + a x^3))). */
export function gelu(x: TypedArray): TypedArray {
  const out = allocate(dtypeOf(x), x.length);
  const f32 = x instanceof Float32Array;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    const u = GELU_C * (v + GELU_A * v * v * v);
    out[i] = 0.5 * v * (1 + (f32 ? tanhFloat32(u) : Math.tanh(u)));
  }
  return out;
}

/** g * gelu'(x), gelu'(x) = 0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 a x^2), t = tanh(c (x + a x^3)). */
export function geluGrad(x: TypedArray, g: TypedArray): TypedArray {
  const out = allocate(dtypeOf(x), x.length);
  const f32 = x instanceof Float32Array;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    const u = GELU_C * (v + GELU_A * v * v * v);
    const t = f32 ? tanhFloat32(u) : Math.tanh(u);
    out[i] = g[i]! * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * GELU_C * (1 + 3 * GELU_A * v * v));
  }
  return out;
}

/** Row mean and 1 / sqrt(population variance + eps) of row r, the variance from the centred values. */
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
 * with m the row maximum (0 when it is not finite: -inf rows stay -inf, no NaN from inf - inf); rows whose
 * target is negative (ignored) give 0.
 */
export function crossEntropyRows(x: TypedArray, rows: number, cols: number, targets: Int32Array): TypedArray {
  const out = allocate(dtypeOf(x), rows);
  const f32 = x instanceof Float32Array;
  for (let r = 0; r < rows; r++) {
    const t = targets[r]!;
    if (t < 0) continue;
    const base = r * cols;
    const max = rowMax(x, base, cols);
    const m = Number.isFinite(max) ? max : 0;
    out[r] = Math.log(shiftedRowExps(x, base, cols, m, f32 && m === max, null, 0)) - (x[base + t]! - m);
  }
  return out;
}

/** The gradient of crossEntropyRows with per-row upstream g: (softmax(x) - onehot(t)) g_r; 0 on ignored rows. */
export function crossEntropyRowsGrad(x: TypedArray, g: TypedArray, rows: number, cols: number, targets: Int32Array): TypedArray {
  const out = allocate(dtypeOf(x), x.length);
  const f32 = x instanceof Float32Array;
  if (exps.length < cols) exps = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const t = targets[r]!;
    if (t < 0) continue;
    const base = r * cols;
    const max = rowMax(x, base, cols);
    const m = Number.isFinite(max) ? max : 0;
    const s = shiftedRowExps(x, base, cols, m, f32 && m === max, exps, 0);
    const gr = g[r]!;
    // p - 1 at the target in float64: for a confident prediction p is close to 1 and float32 would cancel.
    for (let c = 0; c < cols; c++) out[base + c] = (c === t ? exps[c]! / s - 1 : exps[c]! / s) * gr;
  }
  return out;
}

let exps = new Float64Array(0);
