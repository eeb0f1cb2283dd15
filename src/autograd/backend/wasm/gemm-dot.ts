/**
 * The A·B^T micro-kernel: C = A B^T with A stored [m, k] and B stored [n, k], both read in place along k, so
 * B^T needs no packed copy. gemm.ts uses it for batched products, attention's scores q·k^T and dP = g v^T
 * (batched over batch x heads, k = the head's width), where every batch's B^T would otherwise be packed in
 * JavaScript per call.
 *
 * A tile of DOT_MR rows by DOT_NR columns keeps one v128 of partial sums per output (lanes = k mod 4 classes);
 * per quad of k it loads DOT_MR quads of A and DOT_NR of B and does DOT_MR x DOT_NR multiply-adds. A k that is
 * not a multiple of 4 ends with one float at a time in lane 0 (v128.load32_zero), so every k reads only its
 * rows. At the end each row's DOT_NR vectors are summed across lanes by a 4 x 4 transpose (shuffles) into one
 * vector of DOT_NR outputs, plus the bias, stored whole into the padded C. 2 x 4 keeps 8 accumulators, 2 A
 * and 1 B vector in registers (x86-64 has 16, one of them V8's scratch).
 */
import type { FunctionBuilder, Local, ModuleBuilder } from './emitter.js';

export const DOT_MR = 2;
export const DOT_NR = 4;

type V = Local<'v128'>;

/** Leaves sum over lanes of a, b, c, d as one vector [Σa, Σb, Σc, Σd] on the stack. */
function transposeSum(f: FunctionBuilder, [a, b, c, d]: readonly V[], t: V): void {
  // (a0 + a2, b0 + b2, a1 + a3, b1 + b3), then the same for c, d; then pairs of halves.
  f.get(a!).get(b!).shuffleF32([0, 4, 1, 5]).get(a!).get(b!).shuffleF32([2, 6, 3, 7]).simd('f32x4.add').set(t);
  f.get(c!).get(d!).shuffleF32([0, 4, 1, 5]).get(c!).get(d!).shuffleF32([2, 6, 3, 7]).simd('f32x4.add').set(a!);
  f.get(t).get(a!).shuffleF32([0, 1, 4, 5]).get(t).get(a!).shuffleF32([2, 3, 6, 7]).simd('f32x4.add');
}

/**
 * Emits `dot_tile(ap, bp, cp, k, ldcBytes, biasp, aRowStride, _, bRowStride)` (the GEMM tile's signature, so
 * the same job loop drives it): the DOT_MR x DOT_NR tile of C = bias + A rows . B rows. Returns its index.
 */
export function emitDotTile(mod: ModuleBuilder): number {
  const { index, f } = mod.func(null, ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32']);
  const ap = f.param(0, 'i32');
  const bp = f.param(1, 'i32');
  const cp = f.param(2, 'i32');
  const k = f.param(3, 'i32');
  const ldc = f.param(4, 'i32');
  const biasp = f.param(5, 'i32');
  const lda = f.param(6, 'i32');
  const ldb = f.param(8, 'i32');
  const acc: V[][] = [];
  for (let i = 0; i < DOT_MR; i++) acc.push(Array.from({ length: DOT_NR }, () => f.local('v128')));
  const a: V[] = Array.from({ length: DOT_MR }, () => f.local('v128'));
  const b = f.local('v128');
  const rows: Local<'i32'>[] = [ap];
  for (let i = 1; i < DOT_MR; i++) {
    const r = f.local('i32');
    f.get(ap).get(lda).i32(i).op('i32.mul').op('i32.add').set(r);
    rows.push(r);
  }
  const cols: Local<'i32'>[] = [bp];
  for (let j = 1; j < DOT_NR; j++) {
    const r = f.local('i32');
    f.get(bp).get(ldb).i32(j).op('i32.mul').op('i32.add').set(r);
    cols.push(r);
  }
  const pointers = [...rows, ...cols];
  const quadsLeft = f.local('i32');
  const body = (load: (f: FunctionBuilder) => void, step: number): void => {
    for (let i = 0; i < DOT_MR; i++) {
      f.get(rows[i]!);
      load(f);
      f.set(a[i]!);
    }
    for (let j = 0; j < DOT_NR; j++) {
      f.get(cols[j]!);
      load(f);
      f.set(b);
      for (let i = 0; i < DOT_MR; i++) f.get(acc[i]![j]!).get(a[i]!).get(b).simd('f32x4.mul').simd('f32x4.add').set(acc[i]![j]!);
    }
    for (const p of pointers) f.addTo(p, step);
  };
  f.get(k).i32(2).op('i32.shr_u').set(quadsLeft);
  f.block((exit) => {
    f.get(quadsLeft).op('i32.eqz').brIf(exit);
    f.loop((next) => {
      body((g) => g.loadV128(), 16);
      f.get(quadsLeft).i32(1).op('i32.sub').tee(quadsLeft).brIf(next);
    });
  });
  f.get(k).i32(3).op('i32.and').set(quadsLeft);
  f.block((exit) => {
    f.get(quadsLeft).op('i32.eqz').brIf(exit);
    f.loop((next) => {
      body((g) => g.loadZero(), 4);
      f.get(quadsLeft).i32(1).op('i32.sub').tee(quadsLeft).brIf(next);
    });
  });
  for (let i = 0; i < DOT_MR; i++) {
    f.get(cp);
    transposeSum(f, acc[i]!, b);
    f.get(biasp).loadV128().simd('f32x4.add').storeV128();
    if (i < DOT_MR - 1) f.get(cp).get(ldc).op('i32.add').set(cp);
  }
  return index;
}
