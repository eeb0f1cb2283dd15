/** Building blocks of the generated row kernels: the inline exp, horizontal sums, quad loops, row loops and sums. */
import type { FunctionBuilder, Local } from './emitter.js';

export type I32 = Local<'i32'>;
export type V128 = Local<'v128'>;

/** Scratch vectors of the inline exp. */
export interface ExpScratch {
  x: V128;
  r: V128;
  n: V128;
}

export function expScratch(f: FunctionBuilder): ExpScratch {
  return { x: f.local('v128'), r: f.local('v128'), n: f.local('v128') };
}

/**
 * exp of the v128 on the stack, replaced by its result (Cephes expf): x = n ln2 + r with n = nearest(x log2 e)
 * and ln2 split in two (Cody-Waite), e^r by a degree-7 polynomial on |r| <= ln2/2, times 2^n built in the
 * exponent bits as 2^(n >> 1) 2^(n - (n >> 1)), so n up to 145 overflows to inf by multiplication rather than
 * wrapping the exponent. Inputs are clamped to [-87.34, 100]; below -87.34 the result is 0 (float32's normal
 * range ends there), NaN stays NaN.
 */
export function emitExp(f: FunctionBuilder, { x, r, n }: ExpScratch): void {
  const LO = -87.33654475;
  f.set(x);
  f.get(x).splat(LO).simd('f32x4.max').splat(100).simd('f32x4.min').set(r);
  f.get(r).splat(Math.LOG2E).simd('f32x4.mul').simd('f32x4.nearest').set(n);
  f.get(r).get(n).splat(0.693359375).simd('f32x4.mul').simd('f32x4.sub');
  f.get(n).splat(-2.1219444e-4).simd('f32x4.mul').simd('f32x4.sub').set(r);
  f.splat(1.98756915e-4);
  for (const c of [1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1]) {
    f.get(r).simd('f32x4.mul').splat(c).simd('f32x4.add');
  }
  f.get(r).simd('f32x4.mul').get(r).simd('f32x4.mul').get(r).simd('f32x4.add').splat(1).simd('f32x4.add');
  // n as integers, then its halves as exponent fields (n >> 1 + 127) << 23 and (n - n >> 1 + 127) << 23.
  f.get(n).simd('i32x4.trunc_sat_f32x4_s').set(n);
  f.get(n).i32(1).simd('i32x4.shr_s').set(r);
  f.get(r).i32(127).simd('i32x4.splat').simd('i32x4.add').i32(23).simd('i32x4.shl').simd('f32x4.mul');
  f.get(n).get(r).simd('i32x4.sub').i32(127).simd('i32x4.splat').simd('i32x4.add').i32(23).simd('i32x4.shl').simd('f32x4.mul');
  f.get(x).splat(LO).simd('f32x4.lt').simd('v128.andnot');
}

/** Horizontal sum of a v128 local onto the stack as an f32: (l0 + l1) + (l2 + l3). */
function hsum(f: FunctionBuilder, v: V128): void {
  f.get(v).extractLane(0).get(v).extractLane(1).op('f32.add');
  f.get(v).extractLane(2).get(v).extractLane(3).op('f32.add').op('f32.add');
}

/**
 * for (i = 0; i < n; i += 4) with `vec(offset)` for whole quads, then for the n mod 4 tail `tail(offset)`;
 * offset is the byte offset 4 i (an i32 local).
 */
export function quads(f: FunctionBuilder, n: I32, off: I32, vec: () => void, tail: () => void): void {
  const end = f.local('i32');
  f.get(n).i32(~3).op('i32.and').i32(2).op('i32.shl').set(end);
  f.forRange(off, () => f.i32(0), end, 16, vec);
  f.get(n).i32(2).op('i32.shl').set(end);
  f.forRange(off, () => f.get(end).get(n).i32(3).op('i32.and').i32(2).op('i32.shl').op('i32.sub'), end, 4, tail);
}

/**
 * `quads` with one body for both parts, `step(load, store)`: whole quads load and store a v128, the tail loads a
 * splat and stores lane 0, so the same emitted arithmetic serves the row and its n mod 4 tail.
 */
export function quadSteps(f: FunctionBuilder, n: I32, off: I32, step: (load: () => void, store: () => void) => void): void {
  quads(
    f,
    n,
    off,
    () =>
      step(
        () => void f.loadV128(),
        () => void f.storeV128(),
      ),
    () =>
      step(
        () => void f.loadSplat(),
        () => void f.extractLane(0).storeF32(),
      ),
  );
}

/** A loop over rows: `body(rowOffset)` with rowOffset = r cols 4 bytes. */
export function rowLoop(f: FunctionBuilder, rows: I32, cols: I32, body: (r: I32, rowOffset: I32) => void): void {
  const r = f.local('i32');
  const rowOffset = f.local('i32');
  f.forRange(
    r,
    () => f.i32(0),
    rows,
    1,
    () => {
      f.get(r).get(cols).op('i32.mul').i32(2).op('i32.shl').set(rowOffset);
      body(r, rowOffset);
    },
  );
}

/** Sum over a row of `term(off)` (a v128 for quads; for the tail, a splat whose lane 0 counts) onto the stack. */
export function rowSum(f: FunctionBuilder, cols: I32, term: (off: I32) => void): void {
  const acc = f.local('v128');
  const tail = f.local('f32');
  const off = f.local('i32');
  f.splat(0).set(acc);
  f.f32(0).set(tail);
  quads(
    f,
    cols,
    off,
    () => {
      f.get(acc);
      term(off);
      f.simd('f32x4.add').set(acc);
    },
    () => {
      f.get(tail);
      term(off);
      f.extractLane(0).op('f32.add').set(tail);
    },
  );
  hsum(f, acc);
  f.get(tail).op('f32.add');
}

/** The row maximum of x (NaN propagates: the f32x4 max of NaN is NaN), -inf for an empty row; onto the stack. */
export function rowMax(f: FunctionBuilder, x: I32, cols: I32): void {
  const acc = f.local('v128');
  const off = f.local('i32');
  f.splat(-Infinity).set(acc);
  quads(
    f,
    cols,
    off,
    () => void f.get(acc).get(x).get(off).op('i32.add').loadV128().simd('f32x4.max').set(acc),
    () => void f.get(acc).get(x).get(off).op('i32.add').loadSplat().simd('f32x4.max').set(acc),
  );
  f.get(acc).extractLane(0).get(acc).extractLane(1).op('f32.max');
  f.get(acc).extractLane(2).get(acc).extractLane(3).op('f32.max').op('f32.max');
}

/** shift = max if finite else 0 (an all -inf row keeps exp(-inf) = 0), into `shift`. */
export function finiteShift(f: FunctionBuilder, max: Local<'f32'>, shift: Local<'f32'>): void {
  f.get(max).f32(0).get(max).get(max).op('f32.sub').f32(0).op('f32.eq').op('select').set(shift);
}
