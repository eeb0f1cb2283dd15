/**
 * The tuned cpu matmul: register-blocked dot products over contiguous runs. Its results agree with the
 * reference's one-dot-product-at-a-time loop to rounding (the edge dot products sum four partial sums).
 */
import { allocate, dtypeOf, type TypedArray } from '../../dtype.js';
import { sizeOf } from '../../shape.js';
import type { MatmulArgs } from '../backend.js';
import { broadcastOffsets } from './strided.js';

/**
 * C = op(A) op(B) per batch: every entry is a dot product of a row of op(A) and a column of op(B), both read as
 * contiguous runs of k values. An operand whose layout does not give that (A stored [k, m], or B stored [k, n])
 * is transposed into a scratch copy first: k m (or k n) values moved, against the m k n multiply-adds. Sums
 * are accumulated in float64 (JavaScript numbers), with the bias, and rounded once.
 */
export function matmul(args: MatmulArgs): TypedArray {
  const { a, b, aBatch, bBatch, batchShape, m, k, n, transA, transB } = args;
  const bias = args.bias ?? null;
  const batches = sizeOf(batchShape);
  const out = allocate(dtypeOf(a), batches * m * n);
  const aOff = broadcastOffsets(aBatch, batchShape);
  const bOff = broadcastOffsets(bBatch, batchShape);
  // Rows of op(A) [m, k] and of op(B)^T [n, k] per operand batch, transposed once even when broadcast.
  const aRows = new Map<number, TypedArray>();
  const bRows = new Map<number, TypedArray>();
  for (let bi = 0; bi < batches; bi++) {
    const ao = aOff[bi]!;
    const bo = bOff[bi]!;
    let A = aRows.get(ao);
    if (!A) aRows.set(ao, (A = transA ? transposed(a, ao * m * k, k, m) : a.subarray(ao * m * k, (ao + 1) * m * k)));
    let Bt = bRows.get(bo);
    if (!Bt) bRows.set(bo, (Bt = transB ? b.subarray(bo * k * n, (bo + 1) * k * n) : transposed(b, bo * k * n, k, n)));
    productRows(A, Bt, m, k, n, bias, out, bi * m * n);
  }
  return out;
}

/**
 * out[o + i n + j] = row i of A [m, k] . row j of Bt [n, k] (+ bias[j]). Blocks of 2 rows x 4 columns keep eight
 * sums in locals across the k loop: 6 loads per 8 multiply-adds instead of 2 per 1 (why 2x4: bench/README.md,
 * Decisions). Rows and columns left over at the edges take single dot products.
 */
function productRows(
  A: TypedArray,
  Bt: TypedArray,
  m: number,
  k: number,
  n: number,
  bias: TypedArray | null,
  out: TypedArray,
  o: number,
): void {
  const m2 = m - (m % 2);
  const n4 = n - (n % 4);
  for (let i = 0; i < m2; i += 2) {
    const a0 = i * k;
    const a1 = a0 + k;
    for (let j = 0; j < n4; j += 4) {
      const b0 = j * k;
      const b1 = b0 + k;
      const b2 = b1 + k;
      const b3 = b2 + k;
      let s00 = 0,
        s01 = 0,
        s02 = 0,
        s03 = 0,
        s10 = 0,
        s11 = 0,
        s12 = 0,
        s13 = 0;
      for (let p = 0; p < k; p++) {
        const x0 = A[a0 + p]!;
        const x1 = A[a1 + p]!;
        const y0 = Bt[b0 + p]!;
        const y1 = Bt[b1 + p]!;
        const y2 = Bt[b2 + p]!;
        const y3 = Bt[b3 + p]!;
        s00 += x0 * y0;
        s01 += x0 * y1;
        s02 += x0 * y2;
        s03 += x0 * y3;
        s10 += x1 * y0;
        s11 += x1 * y1;
        s12 += x1 * y2;
        s13 += x1 * y3;
      }
      const [c0, c1, c2, c3] = bias ? [bias[j]!, bias[j + 1]!, bias[j + 2]!, bias[j + 3]!] : [0, 0, 0, 0];
      const r0 = o + i * n + j;
      const r1 = r0 + n;
      out[r0] = s00 + c0;
      out[r0 + 1] = s01 + c1;
      out[r0 + 2] = s02 + c2;
      out[r0 + 3] = s03 + c3;
      out[r1] = s10 + c0;
      out[r1 + 1] = s11 + c1;
      out[r1 + 2] = s12 + c2;
      out[r1 + 3] = s13 + c3;
    }
    for (let j = n4; j < n; j++) {
      out[o + i * n + j] = dot(A, a0, Bt, j * k, k) + (bias ? bias[j]! : 0);
      out[o + (i + 1) * n + j] = dot(A, a1, Bt, j * k, k) + (bias ? bias[j]! : 0);
    }
  }
  for (let i = m2; i < m; i++) {
    for (let j = 0; j < n; j++) out[o + i * n + j] = dot(A, i * k, Bt, j * k, k) + (bias ? bias[j]! : 0);
  }
}

/** The [cols, rows] transpose of the [rows, cols] block of x starting at `offset`. */
function transposed(x: TypedArray, offset: number, rows: number, cols: number): TypedArray {
  const out = allocate(dtypeOf(x), rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = x[offset + r * cols + c]!;
  }
  return out;
}

/** sum_p x[xi + p] * y[yi + p], four independent partial sums (more work in flight per loop turn). */
function dot(x: TypedArray, xi: number, y: TypedArray, yi: number, k: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let p = 0;
  for (; p + 3 < k; p += 4) {
    s0 += x[xi + p]! * y[yi + p]!;
    s1 += x[xi + p + 1]! * y[yi + p + 1]!;
    s2 += x[xi + p + 2]! * y[yi + p + 2]!;
    s3 += x[xi + p + 3]! * y[yi + p + 3]!;
  }
  for (; p < k; p++) s0 += x[xi + p]! * y[yi + p]!;
  return s0 + s1 + (s2 + s3);
}
