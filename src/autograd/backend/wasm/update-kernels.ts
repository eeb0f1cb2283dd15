/**
 * The generated unary maps the row kernels do not cover (neg, abs, sqrt, reciprocal, relu, sign, step; all
 * bit-exact against the cpu backend: float32 sqrt and division are correctly rounded, as float64's rounded to
 * float32 are) and the AdamW update (src/nn/optim.ts), four lanes at a time.
 */
import type { FunctionBuilder, ModuleBuilder } from './emitter.js';
import { emitMap } from './row-kernels.js';
import type { V128 } from './simd-helpers.js';

/** Unary ops with a wasm kernel of their own name (exp and gelu are in row-kernels.ts). */
export const WASM_UNARY = ['neg', 'abs', 'sqrt', 'reciprocal', 'relu', 'sign', 'step'] as const;
export type WasmUnary = (typeof WASM_UNARY)[number];

/** Pushes lanes of `x` where x > 0 as all-ones masks (false for NaN and both zeros). */
const positive = (f: FunctionBuilder, x: V128): void => void f.get(x).splat(0).simd('f32x4.gt');

const UNARY_BODIES: Record<WasmUnary, (f: FunctionBuilder, x: V128) => void> = {
  neg: (f, x) => void f.get(x).simd('f32x4.neg'),
  abs: (f, x) => void f.get(x).simd('f32x4.abs'),
  sqrt: (f, x) => void f.get(x).simd('f32x4.sqrt'),
  reciprocal: (f, x) => void f.splat(1).get(x).simd('f32x4.div'),
  // x > 0 ? x : 0, NaN and -0 to +0 (scalar.ts).
  relu: (f, x) => {
    f.get(x);
    positive(f, x);
    f.simd('v128.and');
  },
  // x > 0 ? 1 : x < 0 ? -1 : 0 (NaN to 0).
  sign: (f, x) => {
    f.splat(1);
    positive(f, x);
    f.simd('v128.and');
    f.splat(-1).get(x).splat(0).simd('f32x4.lt').simd('v128.and').simd('v128.or');
  },
  step: (f, x) => {
    f.splat(1);
    positive(f, x);
    f.simd('v128.and');
  },
};

/**
 * adamw(x, g, m, v, quads, decay, 1 - beta1, beta2, 1 - beta2, stepSize, bc2Sqrt, eps), in place over whole
 * quads (the caller's copies have slack for the last one): as AdamW.update,
 *   x <- x decay;  m <- m + (1 - b1)(g - m);  v <- b2 v + (1 - b2) g^2;  x <- x - stepSize m / (sqrt(v) / bc2Sqrt + eps).
 */
function emitAdamW(mod: ModuleBuilder): void {
  const params = ['i32', 'i32', 'i32', 'i32', 'i32', 'f32', 'f32', 'f32', 'f32', 'f32', 'f32', 'f32'] as const;
  const { f } = mod.func('adamw', params);
  const [x, g, m, v, quads] = [0, 1, 2, 3, 4].map((i) => f.param(i, 'i32'));
  const [decay, omb1, beta2, omb2, stepSize, bc2Sqrt, eps] = [5, 6, 7, 8, 9, 10, 11].map((i) => f.param(i, 'f32'));
  const gv = f.local('v128');
  const mv = f.local('v128');
  const vv = f.local('v128');
  const off = f.local('i32');
  const end = f.local('i32');
  const at = (p: typeof x): FunctionBuilder => f.get(p!).get(off).op('i32.add');
  const splat = (s: typeof decay): FunctionBuilder => f.get(s!).simd('f32x4.splat');
  f.get(quads!).i32(4).op('i32.shl').set(end);
  f.forRange(
    off,
    () => f.i32(0),
    end,
    16,
    () => {
      at(g).loadV128().set(gv);
      at(m).loadV128().set(mv);
      // m + (1 - b1)(g - m)
      at(m).get(mv).get(gv).get(mv).simd('f32x4.sub');
      splat(omb1).simd('f32x4.mul').simd('f32x4.add').tee(mv).storeV128();
      // b2 v + (1 - b2) g^2
      at(v).loadV128();
      splat(beta2).simd('f32x4.mul').get(gv).get(gv).simd('f32x4.mul');
      splat(omb2).simd('f32x4.mul').simd('f32x4.add').set(vv);
      at(v).get(vv).storeV128();
      // x decay - stepSize m / (sqrt(v) / bc2Sqrt + eps)
      at(x);
      at(x).loadV128();
      splat(decay).simd('f32x4.mul');
      splat(stepSize).get(mv).simd('f32x4.mul');
      f.get(vv).simd('f32x4.sqrt');
      splat(bc2Sqrt).simd('f32x4.div');
      splat(eps).simd('f32x4.add').simd('f32x4.div').simd('f32x4.sub').storeV128();
    },
  );
}

export function emitUpdateKernels(mod: ModuleBuilder): void {
  for (const op of WASM_UNARY) emitMap(mod, op, 1, (f, [x]) => UNARY_BODIES[op](f, x!));
  emitAdamW(mod);
}

export type UpdateKernelExports = Record<WasmUnary, (x: number, dst: number, n: number) => void> & {
  adamw(
    x: number,
    g: number,
    m: number,
    v: number,
    quads: number,
    decay: number,
    oneMinusBeta1: number,
    beta2: number,
    oneMinusBeta2: number,
    stepSize: number,
    bc2Sqrt: number,
    eps: number,
  ): void;
};
