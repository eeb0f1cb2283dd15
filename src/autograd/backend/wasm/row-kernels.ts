/**
 * The generated elementwise and row kernels: GELU and its gradient, row softmax (optionally scaled per row, for
 * cross-entropy's gradient) and its gradient, row exp-sums (log-sum-exp and cross-entropy finish in
 * JavaScript, one log per row), layer norm and its gradient, row and column sums, exp, and the four arithmetic
 * binary ops over an [outer, inner] view with constant strides. Four lanes at a time (f32x4); a row's last
 * cols mod 4 elements run the same vector code on a splat and keep lane 0, so tails need no second formula.
 *
 * Every exported function takes byte addresses into the module's memory and element counts.
 */
import type { FunctionBuilder, Local, ModuleBuilder } from './emitter.js';

type I32 = Local<'i32'>;
type V128 = Local<'v128'>;

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

/** Scratch vectors of the inline exp. */
interface ExpScratch {
  x: V128;
  r: V128;
  n: V128;
}

function expScratch(f: FunctionBuilder): ExpScratch {
  return { x: f.local('v128'), r: f.local('v128'), n: f.local('v128') };
}

/**
 * exp of the v128 on the stack, replaced by its result (Cephes expf): x = n ln2 + r with n = nearest(x log2 e)
 * and ln2 split in two (Cody-Waite), e^r by a degree-7 polynomial on |r| <= ln2/2, times 2^n built in the
 * exponent bits as 2^(n >> 1) 2^(n - (n >> 1)), so n up to 145 overflows to inf by multiplication rather than
 * wrapping the exponent. Inputs are clamped to [-87.34, 100]; below -87.34 the result is 0 (float32's normal
 * range ends there), NaN stays NaN.
 */
function emitExp(f: FunctionBuilder, { x, r, n }: ExpScratch): void {
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
function quads(f: FunctionBuilder, n: I32, off: I32, vec: () => void, tail: () => void): void {
  const end = f.local('i32');
  f.get(n).i32(~3).op('i32.and').i32(2).op('i32.shl').set(end);
  f.forRange(off, () => f.i32(0), end, 16, vec);
  f.get(n).i32(2).op('i32.shl').set(end);
  f.forRange(off, () => f.get(end).get(n).i32(3).op('i32.and').i32(2).op('i32.shl').op('i32.sub'), end, 4, tail);
}

/**
 * An elementwise map over n floats: `body` turns the loaded inputs (v128 locals) into a v128 result on the
 * stack; tails load a splat and store lane 0.
 */
function emitMap(mod: ModuleBuilder, name: string, inputs: number, body: (f: FunctionBuilder, vals: V128[]) => void): void {
  const { f } = mod.func(name, [...Array<'i32'>(inputs + 2).fill('i32')]);
  const ptrs = Array.from({ length: inputs }, (_, i) => f.param(i, 'i32'));
  const dst = f.param(inputs, 'i32');
  const n = f.param(inputs + 1, 'i32');
  const vals = ptrs.map(() => f.local('v128'));
  const off = f.local('i32');
  quads(
    f,
    n,
    off,
    () => {
      ptrs.forEach((p, i) => f.get(p).get(off).op('i32.add').loadV128().set(vals[i]!));
      f.get(dst).get(off).op('i32.add');
      body(f, vals);
      f.storeV128();
    },
    () => {
      ptrs.forEach((p, i) => f.get(p).get(off).op('i32.add').loadSplat().set(vals[i]!));
      f.get(dst).get(off).op('i32.add');
      body(f, vals);
      f.extractLane(0).storeF32();
    },
  );
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
 * b[o bOuter + i bInner], strides in elements, inner strides 0 or 1 (cpu.ts's viewStrides).
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

/** A loop over rows: `body(rowOffset)` with rowOffset = r cols 4 bytes. */
function rowLoop(f: FunctionBuilder, rows: I32, cols: I32, body: (r: I32, rowOffset: I32) => void): void {
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
function rowSum(f: FunctionBuilder, cols: I32, term: (off: I32) => void): void {
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
function rowMax(f: FunctionBuilder, x: I32, cols: I32): void {
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
function finiteShift(f: FunctionBuilder, max: Local<'f32'>, shift: Local<'f32'>): void {
  f.get(max).f32(0).get(max).get(max).op('f32.sub').f32(0).op('f32.eq').op('select').set(shift);
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
      quads(
        f,
        cols!,
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

/** layernorm_rows(x, dst, rows, cols, eps) and layernorm_grad(x, g, dst, rows, cols, eps); see cpu-fused.ts. */
function emitLayerNorm(mod: ModuleBuilder): void {
  for (const grad of [false, true]) {
    const { f } = mod.func(
      grad ? 'layernorm_grad' : 'layernorm_rows',
      grad ? ['i32', 'i32', 'i32', 'i32', 'i32', 'f32'] : ['i32', 'i32', 'i32', 'i32', 'f32'],
    );
    const x = f.param(0, 'i32');
    const g = grad ? f.param(1, 'i32') : null;
    const base = grad ? 2 : 1;
    const dst = f.param(base, 'i32');
    const rows = f.param(base + 1, 'i32');
    const cols = f.param(base + 2, 'i32');
    const eps = f.param(base + 3, 'f32');
    const mu = f.local('v128');
    const rstd = f.local('v128');
    const mg = f.local('v128');
    const mgx = f.local('v128');
    const xh = f.local('v128');
    const off = f.local('i32');
    const nInv = f.local('f32');
    rowLoop(f, rows, cols, (_r, ro) => {
      const at = (p: I32, o: I32): void => void f.get(p).get(ro).op('i32.add').get(o).op('i32.add');
      f.f32(1).get(cols).op('f32.convert_i32_s').op('f32.div').set(nInv);
      rowSum(f, cols, (o) => void (at(x, o), f.loadV128()));
      f.get(nInv).op('f32.mul').simd('f32x4.splat').set(mu);
      rowSum(f, cols, (o) => {
        at(x, o);
        f.loadV128().get(mu).simd('f32x4.sub').set(xh).get(xh).get(xh).simd('f32x4.mul');
      });
      // rstd = 1 / sqrt(var + eps), through a scalar local (the stack has no swap).
      f.get(nInv).op('f32.mul').get(eps).op('f32.add').op('f32.sqrt').set(nInv);
      f.f32(1).get(nInv).op('f32.div').simd('f32x4.splat').set(rstd);
      f.f32(1).get(cols).op('f32.convert_i32_s').op('f32.div').set(nInv);
      // xh = (x - mu) rstd of the quad at `off` (tails read a splat).
      const normalised = (load: () => void): void => {
        at(x, off);
        load();
        f.get(mu).simd('f32x4.sub').get(rstd).simd('f32x4.mul').set(xh);
      };
      if (!grad) {
        const step = (load: () => void, store: () => void): void => {
          at(dst, off);
          normalised(load);
          f.get(xh);
          store();
        };
        quads(
          f,
          cols,
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
        return;
      }
      rowSum(f, cols, (o) => void (at(g!, o), f.loadV128()));
      f.get(nInv).op('f32.mul').simd('f32x4.splat').set(mg);
      rowSum(f, cols, (o) => {
        at(g!, o);
        f.loadV128();
        at(x, o);
        f.loadV128().get(mu).simd('f32x4.sub').get(rstd).simd('f32x4.mul').simd('f32x4.mul');
      });
      f.get(nInv).op('f32.mul').simd('f32x4.splat').set(mgx);
      const step = (load: () => void, store: () => void): void => {
        at(dst, off);
        normalised(load);
        at(g!, off);
        load();
        f.get(mg).simd('f32x4.sub').get(xh).get(mgx).simd('f32x4.mul').simd('f32x4.sub').get(rstd).simd('f32x4.mul');
        store();
      };
      quads(
        f,
        cols,
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
