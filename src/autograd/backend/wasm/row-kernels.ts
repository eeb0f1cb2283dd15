/**
 * The generated elementwise and row kernels: GELU and its gradient, row softmax (optionally scaled per row, for
 * cross-entropy's gradient) and its gradient, row exp-sums (log-sum-exp and cross-entropy finish in
 * JavaScript, one log per row), layer norm and its gradient, row and column sums, exp, and the four arithmetic
 * binary ops over an [outer, inner] view with constant strides. Four lanes at a time (f32x4); a row's last
 * cols mod 4 elements run the same vector code on a splat and keep lane 0, so tails need no second formula.
 *
 * Every exported function takes byte addresses into the module's memory and element counts.
 */
import type { FunctionBuilder, ModuleBuilder } from './emitter.js';
import { emitLayerNorm } from './layernorm-kernels.js';
import {
  expScratch,
  emitExp,
  quads,
  quadSteps,
  rowLoop,
  rowSum,
  rowMax,
  finiteShift,
  type ExpScratch,
  type I32,
  type V128,
} from './simd-helpers.js';

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

/**
 * An elementwise map over n floats: `body` turns the loaded inputs (v128 locals) into a v128 result on the
 * stack; tails load a splat and store lane 0.
 */
export function emitMap(mod: ModuleBuilder, name: string, inputs: number, body: (f: FunctionBuilder, vals: V128[]) => void): void {
  const { f } = mod.func(name, [...Array<'i32'>(inputs + 2).fill('i32')]);
  const ptrs = Array.from({ length: inputs }, (_, i) => f.param(i, 'i32'));
  const dst = f.param(inputs, 'i32');
  const n = f.param(inputs + 1, 'i32');
  const vals = ptrs.map(() => f.local('v128'));
  const off = f.local('i32');
  quadSteps(f, n, off, (load, store) => {
    ptrs.forEach((p, i) => {
      f.get(p).get(off).op('i32.add');
      load();
      f.set(vals[i]!);
    });
    f.get(dst).get(off).op('i32.add');
    body(f, vals);
    store();
  });
}

/** s = sigmoid(2 c (x + a x^3)) = 0.5 (1 + tanh(c (x + a x^3))), onto the stack (no cancellation for x < 0). */
function geluSigmoid(f: FunctionBuilder, x: V128, u: V128, e: ExpScratch): void {
  f.get(x).get(x).simd('f32x4.mul').splat(GELU_A).simd('f32x4.mul').splat(1).simd('f32x4.add');
  f.get(x)
    .simd('f32x4.mul')
    .splat(-2 * GELU_C)
    .simd('f32x4.mul')
    .set(u);
  f.splat(1).get(u);
  emitExp(f, e);
  f.splat(1).simd('f32x4.add').simd('f32x4.div');
}

function emitElementwise(mod: ModuleBuilder): void {
  for (const [name, op] of [
    ['add', 'f32x4.add'],
    ['sub', 'f32x4.sub'],
    ['mul', 'f32x4.mul'],
    ['div', 'f32x4.div'],
  ] as const) {
    emitBinary(mod, `binary_${name}`, op);
  }
  emitMap(mod, 'exp', 1, (f, [x]) => {
    const e = expScratch(f);
    f.get(x!);
    emitExp(f, e);
  });
  emitMap(mod, 'gelu', 1, (f, [x]) => {
    // gelu(x) = x s
    const u = f.local('v128');
    const e = expScratch(f);
    geluSigmoid(f, x!, u, e);
    f.get(x!).simd('f32x4.mul');
  });
  emitMap(mod, 'gelu_grad', 2, (f, [x, g]) => {
    // gelu'(x) = s + 2 x s (1 - s) c (1 + 3 a x^2): 0.5 (1 + t) = s and 1 - t^2 = 4 s (1 - s), t = 2 s - 1.
    const u = f.local('v128');
    const s = f.local('v128');
    const e = expScratch(f);
    geluSigmoid(f, x!, u, e);
    f.set(s);
    f.get(x!)
      .get(x!)
      .simd('f32x4.mul')
      .splat(3 * GELU_A)
      .simd('f32x4.mul')
      .splat(1)
      .simd('f32x4.add');
    f.get(x!).simd('f32x4.mul').get(s).simd('f32x4.mul').splat(1).get(s).simd('f32x4.sub').simd('f32x4.mul');
    f.splat(2 * GELU_C)
      .simd('f32x4.mul')
      .get(s)
      .simd('f32x4.add')
      .get(g!)
      .simd('f32x4.mul');
  });
}

/**
 * binary(a, aOuter, aInner, b, bOuter, bInner, dst, outer, inner): dst[o, i] = a[o aOuter + i aInner] op
 * b[o bOuter + i bInner], strides in elements, inner strides 0 or 1 (viewStrides in cpu/strided.ts).
 */
function emitBinary(mod: ModuleBuilder, name: string, op: 'f32x4.add' | 'f32x4.sub' | 'f32x4.mul' | 'f32x4.div'): void {
  const { f } = mod.func(name, ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32']);
  const [a, aOuter, aInner, b, bOuter, bInner, dst, outer, inner] = Array.from({ length: 9 }, (_, i) => f.param(i, 'i32'));
  const o = f.local('i32');
  const off = f.local('i32');
  const ar = f.local('i32');
  const br = f.local('i32');
  const load = (row: I32, innerStride: I32, splatTail: boolean): void => {
    // A stride-0 operand is one float per row: splat it; else the quad (or, in the tail, a splat of one float).
    f.get(innerStride).op('i32.eqz');
    f.if(
      () => void f.get(row).loadSplat(),
      () => void (splatTail ? f.get(row).get(off).op('i32.add').loadSplat() : f.get(row).get(off).op('i32.add').loadV128()),
      'v128',
    );
  };
  f.forRange(
    o,
    () => f.i32(0),
    outer!,
    1,
    () => {
      f.get(a!).get(o).get(aOuter!).op('i32.mul').i32(2).op('i32.shl').op('i32.add').set(ar);
      f.get(b!).get(o).get(bOuter!).op('i32.mul').i32(2).op('i32.shl').op('i32.add').set(br);
      const rowDst = (): void =>
        void f.get(dst!).get(o).get(inner!).op('i32.mul').i32(2).op('i32.shl').op('i32.add').get(off).op('i32.add');
      quads(
        f,
        inner!,
        off,
        () => {
          rowDst();
          load(ar, aInner!, false);
          load(br, bInner!, false);
          f.simd(op).storeV128();
        },
        () => {
          rowDst();
          load(ar, aInner!, true);
          load(br, bInner!, true);
          f.simd(op).extractLane(0).storeF32();
        },
      );
    },
  );
}

function emitRows(mod: ModuleBuilder): void {
  // softmax_rows(x, dst, rows, cols, scales): dst = exp(x - shift) * (scale_r / sum), scale_r = 1 when scales = 0.
  {
    const { f } = mod.func('softmax_rows', ['i32', 'i32', 'i32', 'i32', 'i32']);
    const [x, dst, rows, cols, scales] = Array.from({ length: 5 }, (_, i) => f.param(i, 'i32'));
    const max = f.local('f32');
    const shift = f.local('f32');
    const factor = f.local('f32');
    const xr = f.local('i32');
    const dr = f.local('i32');
    const e = expScratch(f);
    const off = f.local('i32');
    rowLoop(f, rows!, cols!, (r, rowOffset) => {
      f.get(x!).get(rowOffset).op('i32.add').set(xr);
      f.get(dst!).get(rowOffset).op('i32.add').set(dr);
      rowMax(f, xr, cols!);
      f.set(max);
      finiteShift(f, max, shift);
      rowSum(f, cols!, (o) => {
        // e = exp(x - shift), stored to dst (a tail stores lane 0 only) and summed.
        f.get(xr).get(o).op('i32.add').loadV128().get(shift).simd('f32x4.splat').simd('f32x4.sub');
        emitExp(f, e);
        f.set(e.r);
        f.get(dr).get(o).op('i32.add').get(e.r).storeV128();
        f.get(e.r);
      });
      f.set(factor);
      f.get(scales!).op('i32.eqz');
      f.if(
        () => void f.f32(1),
        () => void f.get(scales!).get(r).i32(2).op('i32.shl').op('i32.add').loadF32(),
        'f32',
      );
      f.get(factor).op('f32.div').set(factor);
      quads(
        f,
        cols!,
        off,
        () =>
          void f
            .get(dr)
            .get(off)
            .op('i32.add')
            .get(dr)
            .get(off)
            .op('i32.add')
            .loadV128()
            .get(factor)
            .simd('f32x4.splat')
            .simd('f32x4.mul')
            .storeV128(),
        () => void f.get(dr).get(off).op('i32.add').get(dr).get(off).op('i32.add').loadF32().get(factor).op('f32.mul').storeF32(),
      );
    });
  }
  // row_expsum(x, rows, cols, shifts, sums): per row its shift (finite max or 0) and sum exp(x - shift).
  {
    const { f } = mod.func('row_expsum', ['i32', 'i32', 'i32', 'i32', 'i32']);
    const [x, rows, cols, shifts, sums] = Array.from({ length: 5 }, (_, i) => f.param(i, 'i32'));
    const max = f.local('f32');
    const shift = f.local('f32');
    const xr = f.local('i32');
    const e = expScratch(f);
    rowLoop(f, rows!, cols!, (r, rowOffset) => {
      f.get(x!).get(rowOffset).op('i32.add').set(xr);
      rowMax(f, xr, cols!);
      f.set(max);
      finiteShift(f, max, shift);
      f.get(shifts!).get(r).i32(2).op('i32.shl').op('i32.add').get(max).storeF32();
      f.get(sums!).get(r).i32(2).op('i32.shl').op('i32.add');
      rowSum(f, cols!, (o) => {
        f.get(xr).get(o).op('i32.add').loadV128().get(shift).simd('f32x4.splat').simd('f32x4.sub');
        emitExp(f, e);
      });
      f.storeF32();
    });
  }
  // softmax_grad(y, g, dst, rows, cols): dst = y (g - sum(g y)).
  {
    const { f } = mod.func('softmax_grad', ['i32', 'i32', 'i32', 'i32', 'i32']);
    const [y, g, dst, rows, cols] = Array.from({ length: 5 }, (_, i) => f.param(i, 'i32'));
    const s = f.local('v128');
    const off = f.local('i32');
    const yv = f.local('v128');
    rowLoop(f, rows!, cols!, (_r, ro) => {
      const at = (p: I32, o: I32): void => void f.get(p).get(ro).op('i32.add').get(o).op('i32.add');
      rowSum(f, cols!, (o) => {
        at(y!, o);
        f.loadV128();
        at(g!, o);
        f.loadV128().simd('f32x4.mul');
      });
      f.simd('f32x4.splat').set(s);
      const step = (load: () => void, store: () => void): void => {
        at(dst!, off);
        at(y!, off);
        load();
        f.set(yv).get(yv);
        at(g!, off);
        load();
        f.get(s).simd('f32x4.sub').simd('f32x4.mul');
        store();
      };
      quadSteps(f, cols!, off, step);
    });
  }
  emitLayerNorm(mod);
  // sum_rows(x, dst, rows, cols): dst[r] = sum over the row.
  {
    const { f } = mod.func('sum_rows', ['i32', 'i32', 'i32', 'i32']);
    const [x, dst, rows, cols] = Array.from({ length: 4 }, (_, i) => f.param(i, 'i32'));
    rowLoop(f, rows!, cols!, (r, ro) => {
      f.get(dst!).get(r).i32(2).op('i32.shl').op('i32.add');
      rowSum(f, cols!, (o) => void f.get(x!).get(ro).op('i32.add').get(o).op('i32.add').loadV128());
      f.storeF32();
    });
  }
  // sum_cols(x, dst, rows, cols): dst[c] = sum over rows of column c (dst zeroed by the caller).
  {
    const { f } = mod.func('sum_cols', ['i32', 'i32', 'i32', 'i32']);
    const [x, dst, rows, cols] = Array.from({ length: 4 }, (_, i) => f.param(i, 'i32'));
    const off = f.local('i32');
    rowLoop(f, rows!, cols!, (_r, ro) => {
      const add = (load: () => void, store: () => void): void => {
        f.get(dst!).get(off).op('i32.add');
        f.get(dst!).get(off).op('i32.add');
        load();
        f.get(x!).get(ro).op('i32.add').get(off).op('i32.add');
        load();
        store();
      };
      quads(
        f,
        cols!,
        off,
        () =>
          add(
            () => void f.loadV128(),
            () => void f.simd('f32x4.add').storeV128(),
          ),
        () =>
          add(
            () => void f.loadF32(),
            () => void f.op('f32.add').storeF32(),
          ),
      );
    });
  }
}

/** Adds every elementwise and row kernel to the module as an exported function. */
export function emitRowKernels(mod: ModuleBuilder): void {
  emitElementwise(mod);
  emitRows(mod);
}

/** The exports emitRowKernels adds, as the backend calls them (byte addresses, element counts). */
export interface RowKernelExports {
  binary_add(
    a: number,
    aOuter: number,
    aInner: number,
    b: number,
    bOuter: number,
    bInner: number,
    dst: number,
    outer: number,
    inner: number,
  ): void;
  binary_sub: RowKernelExports['binary_add'];
  binary_mul: RowKernelExports['binary_add'];
  binary_div: RowKernelExports['binary_add'];
  exp(x: number, dst: number, n: number): void;
  gelu(x: number, dst: number, n: number): void;
  gelu_grad(x: number, g: number, dst: number, n: number): void;
  softmax_rows(x: number, dst: number, rows: number, cols: number, scales: number): void;
  row_expsum(x: number, rows: number, cols: number, shifts: number, sums: number): void;
  softmax_grad(y: number, g: number, dst: number, rows: number, cols: number): void;
  layernorm_rows(x: number, dst: number, rows: number, cols: number, eps: number): void;
  layernorm_grad(x: number, g: number, dst: number, rows: number, cols: number, eps: number): void;
  sum_rows(x: number, dst: number, rows: number, cols: number): void;
  sum_cols(x: number, dst: number, rows: number, cols: number): void;
}
