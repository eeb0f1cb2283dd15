/**
 * Tuned row kernels: softmax, log-sum-exp, GELU and cross-entropy with the inline float32 exp and tanh of
 * fast-math.ts (float64, the verification dtype, always calls Math), and one scratch row of exps reused across
 * calls. They compute what reference-rows.ts computes, to float32 rounding.
 */
import { allocate, dtypeOf, type TypedArray } from '../../dtype.js';
import type { RowMask } from '../backend.js';
import { rowMax, shiftedRowExps, tanhFloat32 } from './fast-math.js';

export function softmaxRows(x: TypedArray, rows: number, cols: number, mask?: RowMask): TypedArray {
  if (mask) x = applyMask(x, mask);
  const out = allocate(dtypeOf(x), x.length);
  const f32 = x instanceof Float32Array;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    const max = rowMax(x, base, cols);
    // A row of -Infinity has no finite maximum; subtracting 0 keeps exp(-inf) = 0 and yields NaN for 0/0.
    const shift = Number.isFinite(max) ? max : 0;
    const sum = shiftedRowExps(x, base, cols, shift, f32 && shift === max, out, base);
    for (let c = 0; c < cols; c++) out[base + c]! /= sum;
  }
  return out;
}

/** where(mask, x, fill) as a fresh array (the masked softmax's input). */
function applyMask(x: TypedArray, { values, offsets, fill }: RowMask): TypedArray {
  const out = allocate(dtypeOf(x), x.length);
  for (let i = 0; i < x.length; i++) out[i] = values[offsets[i]!]! !== 0 ? x[i]! : fill;
  return out;
}

export function logSumExpRows(x: TypedArray, rows: number, cols: number): TypedArray {
  const out = allocate(dtypeOf(x), rows);
  const f32 = x instanceof Float32Array;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    const max = rowMax(x, base, cols);
    if (!Number.isFinite(max)) {
      out[r] = max; // all -inf gives -inf; +inf gives +inf; NaN stays NaN
      continue;
    }
    out[r] = max + Math.log(shiftedRowExps(x, base, cols, max, f32, null, 0));
  }
  return out;
}

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
