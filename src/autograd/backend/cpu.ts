import { allocate, dtypeOf, type TypedArray } from '../dtype.js';
import { reducedShape, shapesEqual, sizeOf, stridesOf, type Shape } from '../shape.js';
import type { Backend, BinaryOp, MatmulArgs, ReduceOp, UnaryOp } from './backend.js';
import { broadcastOffsets } from './strided.js';

/** Scalar definitions of the elementwise kernels: the reference semantics every backend must match. */
const UNARY: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  log1p: Math.log1p,
  sqrt: Math.sqrt,
  abs: Math.abs,
  tanh: Math.tanh,
  relu: (x) => (x > 0 ? x : 0),
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0),
  reciprocal: (x) => 1 / x,
  // Heaviside step with step(0) = 0: the derivative of relu as the engine defines it.
  step: (x) => (x > 0 ? 1 : 0),
};

const BINARY: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  // NaN propagates through maximum/minimum, as in NumPy and PyTorch.
  maximum: (a, b) => (a !== a || b !== b ? Number.NaN : a >= b ? a : b),
  minimum: (a, b) => (a !== a || b !== b ? Number.NaN : a <= b ? a : b),
  gt: (a, b) => (a > b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  eq: (a, b) => (a === b ? 1 : 0),
  ne: (a, b) => (a !== b ? 1 : 0),
};

export const scalarUnary = UNARY;
export const scalarBinary = BINARY;

function unary(op: UnaryOp, x: TypedArray): TypedArray {
  const f = UNARY[op];
  const out = allocate(dtypeOf(x), x.length);
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]!);
  return out;
}

function binary(op: BinaryOp, a: TypedArray, aShape: Shape, b: TypedArray, bShape: Shape, outShape: Shape): TypedArray {
  const n = sizeOf(outShape);
  const out = allocate(dtypeOf(a), n);
  // The hot cases get their own loops: same shape, and one side a single value.
  if (op === 'add' || op === 'sub' || op === 'mul' || op === 'div') {
    if (a.length === n && b.length === n && shapesEqual(aShape, bShape)) {
      if (op === 'add') for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!;
      else if (op === 'sub') for (let i = 0; i < n; i++) out[i] = a[i]! - b[i]!;
      else if (op === 'mul') for (let i = 0; i < n; i++) out[i] = a[i]! * b[i]!;
      else for (let i = 0; i < n; i++) out[i] = a[i]! / b[i]!;
      return out;
    }
    if (b.length === 1 && a.length === n) {
      const s = b[0]!;
      if (op === 'add') for (let i = 0; i < n; i++) out[i] = a[i]! + s;
      else if (op === 'sub') for (let i = 0; i < n; i++) out[i] = a[i]! - s;
      else if (op === 'mul') for (let i = 0; i < n; i++) out[i] = a[i]! * s;
      else for (let i = 0; i < n; i++) out[i] = a[i]! / s;
      return out;
    }
  }
  const f = BINARY[op];
  if (a.length === n && b.length === n && shapesEqual(aShape, bShape)) {
    for (let i = 0; i < n; i++) out[i] = f(a[i]!, b[i]!);
    return out;
  }
  const ao = a.length === n && shapesEqual(aShape, outShape) ? null : broadcastOffsets(aShape, outShape);
  const bo = b.length === n && shapesEqual(bShape, outShape) ? null : broadcastOffsets(bShape, outShape);
  for (let i = 0; i < n; i++) out[i] = f(a[ao ? ao[i]! : i]!, b[bo ? bo[i]! : i]!);
  return out;
}

function reduce(op: ReduceOp, x: TypedArray, shape: Shape, axes: readonly number[]): TypedArray {
  const keep = reducedShape(shape, axes, true);
  const out = allocate(dtypeOf(x), sizeOf(keep));
  if (op === 'sum') {
    if (out.length === 1) {
      let s = 0;
      for (let i = 0; i < x.length; i++) s += x[i]!;
      out[0] = s;
      return out;
    }
    const map = broadcastOffsets(keep, shape);
    for (let i = 0; i < x.length; i++) out[map[i]!]! += x[i]!;
    return out;
  }
  out.fill(op === 'max' ? -Infinity : Infinity);
  const map = broadcastOffsets(keep, shape);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    const j = map[i]!;
    const cur = out[j]!;
    // Once a NaN is stored it stays (cur !== cur); a NaN value replaces anything, so NaN propagates.
    if (cur === cur && (v !== v || (op === 'max' ? v > cur : v < cur))) out[j] = v;
  }
  return out;
}

function matmul(args: MatmulArgs): TypedArray {
  const { a, b, aBatch, bBatch, batchShape, m, k, n, transA, transB } = args;
  const batches = sizeOf(batchShape);
  const out = allocate(dtypeOf(a), batches * m * n);
  const aOff = broadcastOffsets(aBatch, batchShape);
  const bOff = broadcastOffsets(bBatch, batchShape);
  const row = new Float64Array(n);
  for (let bi = 0; bi < batches; bi++) {
    const ab = aOff[bi]! * m * k;
    const bb = bOff[bi]! * k * n;
    const ob = bi * m * n;
    for (let i = 0; i < m; i++) {
      row.fill(0);
      for (let p = 0; p < k; p++) {
        const av = transA ? a[ab + p * m + i]! : a[ab + i * k + p]!;
        if (av === 0) continue;
        if (transB) {
          for (let j = 0; j < n; j++) row[j]! += av * b[bb + j * k + p]!;
        } else {
          const base = bb + p * n;
          for (let j = 0; j < n; j++) row[j]! += av * b[base + j]!;
        }
      }
      for (let j = 0; j < n; j++) out[ob + i * n + j] = row[j]!;
    }
  }
  return out;
}

function permute(x: TypedArray, shape: Shape, perm: readonly number[]): TypedArray {
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = stridesOf(shape);
  const permStrides = perm.map((p) => inStrides[p]!);
  const out = allocate(dtypeOf(x), x.length);
  const rank = outShape.length;
  if (rank === 0) {
    out[0] = x[0]!;
    return out;
  }
  const index = new Array<number>(rank).fill(0);
  let offset = 0;
  for (let i = 0; i < x.length; i++) {
    out[i] = x[offset]!;
    for (let ax = rank - 1; ax >= 0; ax--) {
      index[ax]!++;
      offset += permStrides[ax]!;
      if (index[ax]! < outShape[ax]!) break;
      offset -= permStrides[ax]! * outShape[ax]!;
      index[ax] = 0;
    }
  }
  return out;
}

function softmaxRows(x: TypedArray, rows: number, cols: number): TypedArray {
  const out = allocate(dtypeOf(x), x.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let max = -Infinity;
    for (let c = 0; c < cols; c++) if (!(x[base + c]! <= max)) max = x[base + c]!;
    // A row of -Infinity has no finite maximum; subtracting 0 keeps exp(-inf) = 0 and yields NaN for 0/0.
    const shift = Number.isFinite(max) ? max : 0;
    let sum = 0;
    for (let c = 0; c < cols; c++) {
      const e = Math.exp(x[base + c]! - shift);
      out[base + c] = e;
      sum += e;
    }
    for (let c = 0; c < cols; c++) out[base + c]! /= sum;
  }
  return out;
}

function logSumExpRows(x: TypedArray, rows: number, cols: number): TypedArray {
  const out = allocate(dtypeOf(x), rows);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let max = -Infinity;
    for (let c = 0; c < cols; c++) if (!(x[base + c]! <= max)) max = x[base + c]!;
    if (!Number.isFinite(max)) {
      out[r] = max; // all -inf gives -inf; +inf gives +inf; NaN stays NaN
      continue;
    }
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += Math.exp(x[base + c]! - max);
    out[r] = max + Math.log(sum);
  }
  return out;
}

function gather(x: TypedArray, outer: number, dim: number, inner: number, indices: ArrayLike<number>, count: number, elementwise: boolean): TypedArray {
  const out = allocate(dtypeOf(x), outer * count * inner);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < count; c++) {
      for (let i = 0; i < inner; i++) {
        const idx = elementwise ? indices[(o * count + c) * inner + i]! : indices[c]!;
        out[(o * count + c) * inner + i] = x[(o * dim + idx) * inner + i]!;
      }
    }
  }
  return out;
}

function scatterAdd(src: TypedArray, outer: number, dim: number, inner: number, indices: ArrayLike<number>, count: number, elementwise: boolean): TypedArray {
  const out = allocate(dtypeOf(src), outer * dim * inner);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < count; c++) {
      for (let i = 0; i < inner; i++) {
        const idx = elementwise ? indices[(o * count + c) * inner + i]! : indices[c]!;
        out[(o * dim + idx) * inner + i]! += src[(o * count + c) * inner + i]!;
      }
    }
  }
  return out;
}

export const cpuBackend: Backend = {
  name: 'cpu',
  unary,
  binary,
  reduce,
  matmul,
  permute,
  softmaxRows,
  logSumExpRows,
  gather,
  scatterAdd,
};
