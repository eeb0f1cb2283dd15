/**
 * The tuned cpu backend, `cpuBackend`: what runs by default. It takes the reference backend (reference.ts)
 * and replaces its hot kernels with faster loops that compute the same values: elementwise maps with the
 * common ops written out, broadcasts read with constant strides instead of an offsets table, block
 * reductions, a run-copying permute, a register-blocked matmul (tuned-matmul.ts) and row kernels with an
 * inline float32 exp and tanh (tuned-rows.ts). test/autograd/backend-reference.test.ts holds it to the
 * reference on random shapes.
 */
import { allocate, dtypeOf, type TypedArray } from '../../dtype.js';
import { reducedShape, sizeOf, type Shape } from '../../shape.js';
import type { Backend, BinaryOp, ReduceOp, UnaryOp } from '../backend.js';
import { cpuReferenceBackend } from './reference.js';
import { scalarBinary as BINARY, scalarUnary as UNARY } from './scalar.js';
import { broadcastOffsets, broadcastPattern, permuteRuns, reductionBlock, viewStrides } from './strided.js';
import { matmul } from './tuned-matmul.js';
import * as rows from './tuned-rows.js';

function unary(op: UnaryOp, x: TypedArray): TypedArray {
  const out = allocate(dtypeOf(x), x.length);
  const n = x.length;
  // The ops a training step runs most get their own loops (a call through the table per element is slower).
  switch (op) {
    case 'neg':
      for (let i = 0; i < n; i++) out[i] = -x[i]!;
      return out;
    case 'exp':
      for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]!);
      return out;
    case 'log':
      for (let i = 0; i < n; i++) out[i] = Math.log(x[i]!);
      return out;
    case 'tanh':
      for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]!);
      return out;
    case 'sqrt':
      for (let i = 0; i < n; i++) out[i] = Math.sqrt(x[i]!);
      return out;
    case 'reciprocal':
      for (let i = 0; i < n; i++) out[i] = 1 / x[i]!;
      return out;
    default: {
      const f = UNARY[op];
      for (let i = 0; i < n; i++) out[i] = f(x[i]!);
      return out;
    }
  }
}

function binary(op: BinaryOp, a: TypedArray, aShape: Shape, b: TypedArray, bShape: Shape, outShape: Shape): TypedArray {
  const n = sizeOf(outShape);
  const out = allocate(dtypeOf(a), n);
  const pa = broadcastPattern(aShape, outShape);
  const pb = broadcastPattern(bShape, outShape);
  // View the output as [outer, inner] so that both operands are read with constant strides (no offsets table):
  // inner is the period of whichever operand tiles or repeats.
  const inner = pa.kind === 'tile' || pa.kind === 'repeat' ? pa.inner : pb.kind === 'tile' || pb.kind === 'repeat' ? pb.inner : n;
  const sa = viewStrides(pa, inner);
  const sb = viewStrides(pb, inner);
  if (sa && sb && n > 0) {
    binaryStrided(op, out, n / inner, inner, a, sa[0], sa[1], b, sb[0], sb[1]);
    return out;
  }
  const f = BINARY[op];
  const ao = pa.kind === 'same' ? null : broadcastOffsets(aShape, outShape);
  const bo = pb.kind === 'same' ? null : broadcastOffsets(bShape, outShape);
  for (let i = 0; i < n; i++) out[i] = f(a[ao ? ao[i]! : i]!, b[bo ? bo[i]! : i]!);
  return out;
}

/** out[o, i] = a[o * ao + i * ai] op b[o * bo + i * bi], with the four arithmetic ops written out (the hot ones). */
function binaryStrided(
  op: BinaryOp,
  out: TypedArray,
  outer: number,
  inner: number,
  a: TypedArray,
  ao: number,
  ai: number,
  b: TypedArray,
  bo: number,
  bi: number,
): void {
  for (let o = 0; o < outer; o++) {
    let ia = o * ao;
    let ib = o * bo;
    const base = o * inner;
    const end = base + inner;
    switch (op) {
      case 'add':
        for (let i = base; i < end; i++, ia += ai, ib += bi) out[i] = a[ia]! + b[ib]!;
        break;
      case 'sub':
        for (let i = base; i < end; i++, ia += ai, ib += bi) out[i] = a[ia]! - b[ib]!;
        break;
      case 'mul':
        for (let i = base; i < end; i++, ia += ai, ib += bi) out[i] = a[ia]! * b[ib]!;
        break;
      case 'div':
        for (let i = base; i < end; i++, ia += ai, ib += bi) out[i] = a[ia]! / b[ib]!;
        break;
      default: {
        const f = BINARY[op];
        for (let i = base; i < end; i++, ia += ai, ib += bi) out[i] = f(a[ia]!, b[ib]!);
      }
    }
  }
}

// Float64 partial sums for column reductions (float32 data is summed in float64, then rounded once).
let scratch = new Float64Array(0);

function reduce(op: ReduceOp, x: TypedArray, shape: Shape, axes: readonly number[]): TypedArray {
  const keep = reducedShape(shape, axes, true);
  const out = allocate(dtypeOf(x), sizeOf(keep));
  const block = reductionBlock(shape, axes);
  if (op === 'sum') {
    if (!block) {
      const map = broadcastOffsets(keep, shape);
      for (let i = 0; i < x.length; i++) out[map[i]!]! += x[i]!;
      return out;
    }
    const [outer, red, inner] = block;
    if (inner === 1) {
      // Row sums: each output is one contiguous run.
      for (let o = 0; o < outer; o++) {
        let s = 0;
        const base = o * red;
        for (let r = 0; r < red; r++) s += x[base + r]!;
        out[o] = s;
      }
      return out;
    }
    // Column sums (a bias gradient): add whole rows of `inner` values.
    if (scratch.length < inner) scratch = new Float64Array(inner);
    for (let o = 0; o < outer; o++) {
      scratch.fill(0, 0, inner);
      for (let r = 0; r < red; r++) {
        const base = (o * red + r) * inner;
        for (let i = 0; i < inner; i++) scratch[i]! += x[base + i]!;
      }
      for (let i = 0; i < inner; i++) out[o * inner + i] = scratch[i]!;
    }
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

function permute(x: TypedArray, shape: Shape, perm: readonly number[]): TypedArray {
  const out = allocate(dtypeOf(x), x.length);
  const rank = shape.length;
  if (rank === 0) {
    out[0] = x[0]!;
    return out;
  }
  const { starts, run } = permuteRuns(shape, perm);
  for (let j = 0, i = 0; j < starts.length; j++, i += run) {
    const offset = starts[j]!;
    for (let r = 0; r < run; r++) out[i + r] = x[offset + r]!;
  }
  return out;
}

export const cpuBackend: Backend = {
  ...cpuReferenceBackend,
  name: 'cpu',
  unary,
  binary,
  reduce,
  matmul,
  permute,
  softmaxRows: rows.softmaxRows,
  logSumExpRows: rows.logSumExpRows,
  gelu: rows.gelu,
  geluGrad: rows.geluGrad,
  crossEntropyRows: rows.crossEntropyRows,
  crossEntropyRowsGrad: rows.crossEntropyRowsGrad,
};
