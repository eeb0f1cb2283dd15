/**
 * The GEMM's calling side: copies A and B into the kernel's memory as stored (B^T is packed into the kernel's
 * column panels straight from the caller's array), so a transposed operand costs only a different read order,
 * never a transposed copy; writes
 * the job; runs the tiles (split over threads for large products); copies C out of its padded buffer.
 *
 * Every tile is computed by the same code whichever thread runs it, and tiles never share output, so one
 * thread and two give bit-identical results.
 */
import { broadcastOffsets } from '../cpu/strided.js';
import { sizeOf } from '../../shape.js';
import type { MatmulArgs } from '../backend.js';
import { DOT_MR, DOT_NR } from './gemm-dot.js';
import { GEMM_BLOCKING, GEMM_JOB } from './gemm-kernel.js';
import { align64, JOB_KIND, type WasmRuntime } from './runtime.js';

/** Products below this many multiply-adds stay on the calling thread (waking helpers costs more). */
const MIN_PARALLEL_MACS = 1 << 17;

/** Packs op(B) = B^T (B stored [n, k]) into panels of nr columns, the edge panel zero-padded. */
function packTransposedB(dst: Float32Array, at: number, b: Float32Array, bo: number, k: number, n: number, nr: number): void {
  const panels = Math.ceil(n / nr);
  for (let q = 0; q < panels; q++) {
    const base = at + q * nr * k;
    const j0 = q * nr;
    for (let j = 0; j < nr; j++) {
      if (j0 + j >= n) {
        for (let kk = 0; kk < k; kk++) dst[base + kk * nr + j] = 0;
        continue;
      }
      for (let kk = 0, src = bo + (j0 + j) * k; kk < k; kk++, src++) dst[base + kk * nr + j] = b[src]!;
    }
  }
}

/** C = op(A) op(B) (+ bias) in float32, batched with broadcast batch dimensions; see Backend.matmul. */
export function gemm(rt: WasmRuntime, args: MatmulArgs): Float32Array {
  const a = args.a as Float32Array;
  const b = args.b as Float32Array;
  const { aBatch, bBatch, batchShape, k, transA, transB } = args;
  let m = args.m;
  let batches = sizeOf(batchShape);
  const n = args.n;
  if (batches * m * n === 0) return new Float32Array(batches * m * n);
  // Unbatched products (every Linear layer's) skip the offsets cache's key building.
  let aOff = batches === 1 ? ZERO : broadcastOffsets(aBatch, batchShape);
  let bOff = batches === 1 ? ZERO : broadcastOffsets(bBatch, batchShape);
  // One B for every batch and A's batches stored one after another as [batches * m, k]: one taller product.
  if (!transA && sizeOf(bBatch) === 1 && sizeOf(aBatch) === batches && batches > 1) {
    m *= batches;
    batches = 1;
    aOff = ZERO;
    bOff = ZERO;
  }
  // Batched A B^T with A stored [m, k] (attention's scores): the dot kernel reads both along k in place
  // (gemm-dot.ts) instead of packing every batch's B^T; one B^T (a Linear layer's weight) is packed once for
  // the 4 x 8 kernel, which measured faster there (bench/README.md).
  const dot = transB && !transA && batches > 1;
  const { mr, nr } = dot ? { mr: DOT_MR, nr: DOT_NR } : GEMM_BLOCKING;
  const mTiles = Math.ceil(m / mr);
  const nTiles = Math.ceil(n / nr);
  const mp = mTiles * mr;
  const np = nTiles * nr;
  const packB = transB && !dot;
  const bMats = packB ? [...new Set(bOff.subarray(0, batches))] : [];
  // A as stored, plus slack for the rows the last tile reads past m (at most mr - 1 rows, or columns).
  const aBytes = align64(a.length * 4 + mr * Math.max(k, args.m) * 4);
  // B^T packed per distinct batch (4 x 8 kernel); B as stored otherwise, plus slack for the last panel's reads.
  const bBytes = packB ? bMats.length * align64(np * k * 4) : align64(b.length * 4 + nr * Math.max(k, 1) * 4);
  const tableBytes = align64(batches * 4);
  const cBytes = batches * mp * np * 4;
  const base = rt.reserve(2 * tableBytes + align64(np * 4) + aBytes + bBytes + cBytes);
  const heap = rt.f32();
  const ints = rt.i32();
  const aTable = base;
  const bTable = aTable + tableBytes;
  const biasAt = bTable + tableBytes;
  let at = biasAt + align64(np * 4);
  const aAt = at;
  heap.set(a, aAt >> 2);
  at += aBytes;
  const bAt = at;
  const bAddress = new Map<number, number>();
  if (packB) {
    for (const mat of bMats) {
      packTransposedB(heap, at >> 2, b, mat * k * n, k, n, nr);
      bAddress.set(mat, at);
      at += align64(np * k * 4);
    }
  } else {
    heap.set(b, bAt >> 2);
    at += bBytes;
  }
  for (let bi = 0; bi < batches; bi++) {
    ints[(aTable >> 2) + bi] = aAt + aOff[bi]! * args.m * k * 4;
    ints[(bTable >> 2) + bi] = packB ? bAddress.get(bOff[bi]!)! : bAt + bOff[bi]! * k * n * 4;
  }
  const bias = args.bias ?? null;
  heap.fill(0, biasAt >> 2, (biasAt >> 2) + np);
  if (bias) heap.set(bias, biasAt >> 2);
  const c = at;
  ints[0] = dot ? JOB_KIND.dot : JOB_KIND.gemm;
  ints[GEMM_JOB.aTable >> 2] = aTable;
  ints[GEMM_JOB.bTable >> 2] = bTable;
  ints[GEMM_JOB.c >> 2] = c;
  ints[GEMM_JOB.bias >> 2] = biasAt;
  ints[GEMM_JOB.k >> 2] = k;
  ints[GEMM_JOB.mTiles >> 2] = mTiles;
  ints[GEMM_JOB.nTiles >> 2] = nTiles;
  ints[GEMM_JOB.ldc >> 2] = np;
  ints[GEMM_JOB.aRowStride >> 2] = transA ? 4 : k * 4;
  ints[GEMM_JOB.aKStride >> 2] = transA ? m * 4 : 4;
  // Packed B^T: nr floats per k; B [k, n] in place: a row per k; B [n, k] for the dot kernel: a row per column.
  ints[GEMM_JOB.bKStride >> 2] = packB ? nr * 4 : dot ? k * 4 : n * 4;
  ints[GEMM_JOB.bPanelStride >> 2] = transB ? nr * k * 4 : nr * 4;
  rt.run(batches * mTiles * nTiles, batches * m * n * k >= MIN_PARALLEL_MACS);
  const c0 = c >> 2;
  const out = new Float32Array(batches * m * n);
  // (heap.slice measured erratic here: 0.1 to 3 ms for 64k floats, against a steady 10 us for new + set.)
  if (mp === m && np === n) {
    out.set(heap.subarray(c0, c0 + batches * m * n));
    return out;
  }
  for (let bi = 0; bi < batches; bi++) {
    for (let i = 0; i < m; i++) {
      const src = c0 + (bi * mp + i) * np;
      out.set(heap.subarray(src, src + n), (bi * m + i) * n);
    }
  }
  return out;
}

const ZERO = new Int32Array(1);
