/**
 * The calling side of the elementwise and row kernels (row-kernels.ts): operands copied into the module's
 * memory, the kernel run on the calling thread, the result copied out. Each returns null where the kernel does
 * not apply (a broadcast it has no strides for, a reduction that is not over a leading or trailing block), and
 * the backend then calls the cpu's.
 */
import { sizeOf, type Shape } from '../../shape.js';
import type { AdamWScalars, BinaryOp, RowMask } from '../backend.js';
import { broadcastPattern, reductionBlock, viewStrides } from '../cpu/strided.js';
import { align64, type WasmRuntime } from './runtime.js';
import type { WasmUnary } from './update-kernels.js';

/** Bytes after every operand: a row's last quad is loaded (and stored) whole, 12 bytes past its end. */
const SLACK = 16;

/**
 * Copies `inputs` in, reserves `outLength` floats (plus `extra` scratch floats), runs `kernel(inputAddresses,
 * outAddress, extraAddress)` and returns the output's copy.
 */
function call(
  rt: WasmRuntime,
  inputs: readonly Float32Array[],
  outLength: number,
  kernel: (at: number[], out: number, extra: number) => void,
  extra = 0,
): Float32Array {
  let bytes = align64(outLength * 4 + SLACK) + align64(extra * 4 + SLACK);
  for (const x of inputs) bytes += align64(x.length * 4 + SLACK);
  let at = rt.reserve(bytes);
  const heap = rt.f32();
  const addresses = inputs.map((x) => {
    const address = at;
    heap.set(x, at >> 2);
    at += align64(x.length * 4 + SLACK);
    return address;
  });
  const out = at;
  const extraAt = out + align64(outLength * 4 + SLACK);
  kernel(addresses, out, extraAt);
  return heap.slice(out >> 2, (out >> 2) + outLength);
}

export function binary(
  rt: WasmRuntime,
  op: BinaryOp,
  a: Float32Array,
  aShape: Shape,
  b: Float32Array,
  bShape: Shape,
  outShape: Shape,
): Float32Array | null {
  if (op !== 'add' && op !== 'sub' && op !== 'mul' && op !== 'div') return null;
  const n = sizeOf(outShape);
  const pa = broadcastPattern(aShape, outShape);
  const pb = broadcastPattern(bShape, outShape);
  const inner = pa.kind === 'tile' || pa.kind === 'repeat' ? pa.inner : pb.kind === 'tile' || pb.kind === 'repeat' ? pb.inner : n;
  const sa = viewStrides(pa, inner);
  const sb = viewStrides(pb, inner);
  if (!sa || !sb || n === 0) return null;
  const kernel = rt.kernels[`binary_${op}`];
  return call(rt, [a, b], n, ([pa, pb], out) => kernel(pa!, sa[0], sa[1], pb!, sb[0], sb[1], out, n / inner, inner));
}

export function sum(rt: WasmRuntime, x: Float32Array, shape: Shape, axes: readonly number[]): Float32Array | null {
  const block = reductionBlock(shape, axes);
  if (!block) return null;
  const [outer, red, inner] = block;
  if (inner === 1) return call(rt, [x], outer, ([px], out) => rt.kernels.sum_rows(px!, out, outer, red));
  if (outer === 1) {
    return call(rt, [x], inner, ([px], out) => {
      rt.f32().fill(0, out >> 2, (out >> 2) + inner);
      rt.kernels.sum_cols(px!, out, red, inner);
    });
  }
  return null;
}

export function map(rt: WasmRuntime, name: 'exp' | 'gelu' | WasmUnary, x: Float32Array): Float32Array {
  return call(rt, [x], x.length, ([px], out) => rt.kernels[name](px!, out, x.length));
}

export function geluGrad(rt: WasmRuntime, x: Float32Array, g: Float32Array): Float32Array {
  return call(rt, [x, g], x.length, ([px, pg], out) => rt.kernels.gelu_grad(px!, pg!, out, x.length));
}

/** where(mask, x, fill) in place over x's copy at float index `at` (as the cpu backend's applyMask). */
function applyMask(heap: Float32Array, at: number, n: number, { values, offsets, fill }: RowMask): void {
  for (let i = 0; i < n; i++) if (values[offsets[i]!]! === 0) heap[at + i] = fill;
}

function zeroMasked(out: Float32Array, mask: RowMask | undefined): Float32Array {
  if (mask) for (let i = 0; i < out.length; i++) if (mask.values[mask.offsets[i]!] === 0) out[i] = 0;
  return out;
}

export function softmaxRows(rt: WasmRuntime, x: Float32Array, rows: number, cols: number, mask?: RowMask): Float32Array {
  return call(rt, [x], x.length, ([px], out) => {
    if (mask) applyMask(rt.f32(), px! >> 2, x.length, mask);
    rt.kernels.softmax_rows(px!, out, rows, cols, 0);
  });
}

export function softmaxRowsGrad(
  rt: WasmRuntime,
  y: Float32Array,
  g: Float32Array,
  rows: number,
  cols: number,
  mask?: RowMask,
): Float32Array {
  return zeroMasked(
    call(rt, [y, g], y.length, ([py, pg], out) => rt.kernels.softmax_grad(py!, pg!, out, rows, cols)),
    mask,
  );
}

/** Per row: [shift, sum exp(x - shift)] with shift the finite row maximum (or the raw maximum when not finite). */
function expSums(rt: WasmRuntime, x: Float32Array, rows: number, cols: number): Float32Array {
  // Output: rows maxima then rows sums, one array.
  return call(rt, [x], 2 * rows, ([px], out) => rt.kernels.row_expsum(px!, rows, cols, out, out + rows * 4));
}

export function logSumExpRows(rt: WasmRuntime, x: Float32Array, rows: number, cols: number): Float32Array {
  const s = expSums(rt, x, rows, cols);
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const max = s[r]!;
    out[r] = Number.isFinite(max) ? max + Math.log(s[rows + r]!) : max;
  }
  return out;
}

export function crossEntropyRows(rt: WasmRuntime, x: Float32Array, rows: number, cols: number, targets: Int32Array): Float32Array {
  const s = expSums(rt, x, rows, cols);
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const t = targets[r]!;
    if (t < 0) continue;
    const max = s[r]!;
    const m = Number.isFinite(max) ? max : 0;
    out[r] = Math.log(s[rows + r]!) - (x[r * cols + t]! - m);
  }
  return out;
}

/** (softmax(x) - onehot(t)) g_r: the softmax scaled by g_r per row in the kernel, then g_r off each target. */
export function crossEntropyRowsGrad(
  rt: WasmRuntime,
  x: Float32Array,
  g: Float32Array,
  rows: number,
  cols: number,
  targets: Int32Array,
): Float32Array {
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) scales[r] = targets[r]! < 0 ? 0 : g[r]!;
  const out = call(rt, [x, scales], x.length, ([px, ps], o) => rt.kernels.softmax_rows(px!, o, rows, cols, ps!));
  for (let r = 0; r < rows; r++) {
    const t = targets[r]!;
    if (t < 0) out.fill(0, r * cols, (r + 1) * cols);
    else out[r * cols + t]! -= g[r]!;
  }
  return out;
}

export function layerNormRows(rt: WasmRuntime, x: Float32Array, rows: number, cols: number, eps: number): Float32Array {
  return call(rt, [x], x.length, ([px], out) => rt.kernels.layernorm_rows(px!, out, rows, cols, eps));
}

export function layerNormRowsGrad(
  rt: WasmRuntime,
  x: Float32Array,
  g: Float32Array,
  rows: number,
  cols: number,
  eps: number,
): Float32Array {
  return call(rt, [x, g], x.length, ([px, pg], out) => rt.kernels.layernorm_grad(px!, pg!, out, rows, cols, eps));
}

/**
 * AdamW in place (see OptimizerKernels.adamwUpdate): x, g, m and v copied in, whole quads updated (each copy
 * has a quad's slack), x, m and v copied back into the caller's arrays (no new arrays).
 */
export function adamw(rt: WasmRuntime, x: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, s: AdamWScalars): void {
  const n = x.length;
  const stride = align64(n * 4 + SLACK);
  const at = rt.reserve(4 * stride);
  const heap = rt.f32();
  const [px, pg, pm, pv] = [at, at + stride, at + 2 * stride, at + 3 * stride];
  heap.set(x, px >> 2);
  heap.set(g, pg >> 2);
  heap.set(m, pm >> 2);
  heap.set(v, pv >> 2);
  rt.kernels.adamw(px, pg, pm, pv, (n + 3) >> 2, s.decay, 1 - s.beta1, s.beta2, 1 - s.beta2, s.stepSize, s.bc2Sqrt, s.eps);
  x.set(heap.subarray(px >> 2, (px >> 2) + n));
  m.set(heap.subarray(pm >> 2, (pm >> 2) + n));
  v.set(heap.subarray(pv >> 2, (pv >> 2) + n));
}
