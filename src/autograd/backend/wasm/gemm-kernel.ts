/**
 * The generated GEMM: a register-blocked micro-kernel over packed panels, and the tile loop the thread pool
 * splits.
 *
 * Layout (written by gemm.ts): B stored [k, n] is read in place, NR consecutive floats of row kk per step; B
 * stored [n, k] (op(B) = B^T) is packed as panels of NR columns, panel q holding op(B)(kk, q NR + j) at float
 * q NR k + kk NR + j. A is read in place through two strides (row, k), so A stored [m, k] or [k, m] is the
 * same kernel. The rows past m (columns past n) of the last tiles read slack after the operand (never outside
 * memory) into padded rows (columns) of C, which are not copied out. Every tile is a full MR x NR tile, and C is written into a padded
 * [Mp, Np] buffer. Packing A, or B stored [k, n], measured slower (bench/README.md): the strided reads are
 * cheaper in the kernel than in a JavaScript copy into shared memory.
 *
 * The micro-kernel keeps the MR x NR tile of C in MR * NR/4 v128 accumulators across the k loop: per kk it
 * loads NR/4 vectors of B once (v128.load) and one splat of A per row (v128.load32_splat), then
 * MR * NR/4 f32x4 multiply-adds. Accumulators start from the bias (or zeros), so a Linear layer's bias is
 * added without another pass.
 */
import type { FunctionBuilder, Local, ModuleBuilder } from './emitter.js';

/** The GEMM's shape of register block; 4 x 8 measured best of 4x8, 4x12, 6x8 (bench/README.md). */
export interface GemmBlocking {
  mr: number;
  nr: number;
}
export const GEMM_BLOCKING: GemmBlocking = { mr: 4, nr: 8 };

/** Byte offsets of the GEMM job's parameters (i32 each) in the job area the caller writes before a run. */
export const GEMM_JOB = {
  aTable: 4, // address of an i32 table: per output batch, the byte address of its packed A
  bTable: 8, // likewise for packed B
  c: 12, // byte address of C's padded [batches, Mp, Np]
  bias: 16, // byte address of Np bias floats (zeros when there is no bias)
  k: 20,
  mTiles: 24,
  nTiles: 28,
  ldc: 32, // Np, floats
  aRowStride: 36, // bytes between rows of op(A) (k * 4 when A is stored [m, k], 4 when stored [k, m])
  aKStride: 40, // bytes between columns of op(A) (4, or m * 4)
  bKStride: 44, // bytes between rows of op(B) in its panels (nr * 4 packed, n * 4 in place)
  bPanelStride: 48, // bytes between column panels of op(B) (nr * k * 4 packed, nr * 4 in place)
} as const;

/** Emits `tile(ap, bp, cp, k, ldcBytes, biasp)`: C tile = bias + A panel . B panel. Returns its index. */
export function emitGemmTile(mod: ModuleBuilder, { mr, nr }: GemmBlocking): number {
  const { index, f } = mod.func(null, ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32']);
  const ap = f.param(0, 'i32');
  const bp = f.param(1, 'i32');
  const cp = f.param(2, 'i32');
  const k = f.param(3, 'i32');
  const ldc = f.param(4, 'i32');
  const biasp = f.param(5, 'i32');
  const rowStride = f.param(6, 'i32');
  const kStride = f.param(7, 'i32');
  const bStride = f.param(8, 'i32');
  const nv = nr / 4;
  const acc: Local<'v128'>[][] = [];
  for (let i = 0; i < mr; i++) {
    acc.push([]);
    for (let v = 0; v < nv; v++) acc[i]!.push(f.local('v128'));
  }
  const b: Local<'v128'>[] = [];
  for (let v = 0; v < nv; v++) b.push(f.local('v128'));
  const a = f.local('v128');
  const row = f.local('i32');
  // A is read in place: row i of the tile at ap + i rowStride, advancing kStride bytes per kk.
  const rows: Local<'i32'>[] = [ap];
  for (let i = 1; i < mr; i++) {
    const r = f.local('i32');
    f.get(ap).get(rowStride).i32(i).op('i32.mul').op('i32.add').set(r);
    rows.push(r);
  }
  for (let v = 0; v < nv; v++) {
    f.get(biasp)
      .loadV128(v * 16)
      .set(b[0]!);
    for (let i = 0; i < mr; i++) f.get(b[0]!).set(acc[i]![v]!);
  }
  f.block((exit) => {
    f.get(k).op('i32.eqz').brIf(exit);
    f.loop((next) => {
      for (let v = 0; v < nv; v++)
        f.get(bp)
          .loadV128(v * 16)
          .set(b[v]!);
      for (let i = 0; i < mr; i++) {
        f.get(rows[i]!).loadSplat().set(a);
        for (let v = 0; v < nv; v++) f.get(acc[i]![v]!).get(a).get(b[v]!).simd('f32x4.mul').simd('f32x4.add').set(acc[i]![v]!);
      }
      for (const r of rows) f.get(r).get(kStride).op('i32.add').set(r);
      f.get(bp).get(bStride).op('i32.add').set(bp);
      f.get(k).i32(1).op('i32.sub').tee(k).brIf(next);
    });
  });
  f.get(cp).set(row);
  for (let i = 0; i < mr; i++) {
    for (let v = 0; v < nv; v++)
      f.get(row)
        .get(acc[i]![v]!)
        .storeV128(v * 16);
    if (i < mr - 1) f.get(row).get(ldc).op('i32.add').set(row);
  }
  return index;
}

/**
 * Emits the GEMM job: tiles [start, end) of the output, tile t = (batch, column panel, row panel) with the row
 * panel fastest, so consecutive tiles of one chunk reuse the B panel from cache. `job` is the job area's
 * address local. The tile's coordinates are split from `start` once and then stepped (no division per tile:
 * four i32 divisions cost as much as a k = 16 tile's arithmetic).
 */
export function emitGemmJob(
  f: FunctionBuilder,
  job: Local<'i32'>,
  start: Local<'i32'>,
  end: Local<'i32'>,
  tile: number,
  { mr, nr }: GemmBlocking,
): void {
  const t = f.local('i32');
  const k = f.local('i32');
  const mTiles = f.local('i32');
  const nTiles = f.local('i32');
  const perBatch = f.local('i32');
  const batch = f.local('i32');
  const rem = f.local('i32');
  const ip = f.local('i32');
  const jp = f.local('i32');
  const ldc = f.local('i32');
  const aRowStride = f.local('i32');
  const aKStride = f.local('i32');
  const bKStride = f.local('i32');
  const bPanelStride = f.local('i32');
  const aTable = f.local('i32');
  const bTable = f.local('i32');
  const c = f.local('i32');
  const bias = f.local('i32');
  const load = (offset: number, into: Local<'i32'>): void => void f.get(job).loadI32(offset).set(into);
  load(GEMM_JOB.k, k);
  load(GEMM_JOB.mTiles, mTiles);
  load(GEMM_JOB.nTiles, nTiles);
  load(GEMM_JOB.ldc, ldc);
  load(GEMM_JOB.aRowStride, aRowStride);
  load(GEMM_JOB.aKStride, aKStride);
  load(GEMM_JOB.bKStride, bKStride);
  load(GEMM_JOB.bPanelStride, bPanelStride);
  load(GEMM_JOB.aTable, aTable);
  load(GEMM_JOB.bTable, bTable);
  load(GEMM_JOB.c, c);
  load(GEMM_JOB.bias, bias);
  f.get(mTiles).get(nTiles).op('i32.mul').set(perBatch);
  f.get(start).get(perBatch).op('i32.div_u').set(batch);
  f.get(start).get(perBatch).op('i32.rem_u').set(rem);
  f.get(rem).get(mTiles).op('i32.div_u').set(jp);
  f.get(rem).get(mTiles).op('i32.rem_u').set(ip);
  f.forRange(
    t,
    () => f.get(start),
    end,
    1,
    () => {
      // ap = aTable[batch] + ip * mr * aRowStride
      f.get(aTable).get(batch).i32(2).op('i32.shl').op('i32.add').loadI32();
      f.get(ip).get(aRowStride).op('i32.mul').i32(mr).op('i32.mul').op('i32.add');
      // bp = bTable[batch] + jp * bPanelStride
      f.get(bTable).get(batch).i32(2).op('i32.shl').op('i32.add').loadI32();
      f.get(jp).get(bPanelStride).op('i32.mul').op('i32.add');
      // cp = c + ((batch * mTiles + ip) * mr * ldc + jp * nr) * 4
      f.get(c);
      f.get(batch).get(mTiles).op('i32.mul').get(ip).op('i32.add').i32(mr).op('i32.mul').get(ldc).op('i32.mul');
      f.get(jp).i32(nr).op('i32.mul').op('i32.add').i32(2).op('i32.shl').op('i32.add');
      f.get(k);
      f.get(ldc).i32(2).op('i32.shl');
      f.get(bias)
        .get(jp)
        .i32(nr * 4)
        .op('i32.mul')
        .op('i32.add');
      f.get(aRowStride).get(aKStride).get(bKStride);
      f.call(tile);
      // Next tile: ip, then jp, then batch.
      f.get(ip).i32(1).op('i32.add').tee(ip).get(mTiles).op('i32.eq');
      f.if(() => {
        f.i32(0).set(ip);
        f.get(jp).i32(1).op('i32.add').tee(jp).get(nTiles).op('i32.eq');
        f.if(() => {
          f.i32(0).set(jp);
          f.addTo(batch, 1);
        });
      });
    },
  );
}
