/**
 * The cpu reference backend: every kernel as the plainest loop that states what it computes, for float64 and
 * float32 alike (sums and products accumulate in JavaScript numbers, float64, and round once into the
 * output's dtype). It is the oracle the other backends are tested against (test/autograd/backend-reference
 * .test.ts); `cpuBackend` (tuned.ts) is what runs by default. Select it with setBackend('cpu-reference').
 */
import { allocate, dtypeOf, fromValues, type TypedArray } from '../../dtype.js';
import { reducedShape, sizeOf, type Shape } from '../../shape.js';
import type { Backend, BinaryOp, MatmulArgs, ReduceOp, UnaryOp } from '../backend.js';
import * as layout from './layout.js';
import * as rows from './reference-rows.js';
import { scalarBinary, scalarUnary } from './scalar.js';
import { broadcastOffsets } from './strided.js';

function unary(op: UnaryOp, x: TypedArray): TypedArray {
  const f = scalarUnary[op];
  const out = allocate(dtypeOf(x), x.length);
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]!);
  return out;
}

function binary(op: BinaryOp, a: TypedArray, aShape: Shape, b: TypedArray, bShape: Shape, outShape: Shape): TypedArray {
  const f = scalarBinary[op];
  const out = allocate(dtypeOf(a), sizeOf(outShape));
  const ao = broadcastOffsets(aShape, outShape);
  const bo = broadcastOffsets(bShape, outShape);
  for (let i = 0; i < out.length; i++) out[i] = f(a[ao[i]!]!, b[bo[i]!]!);
  return out;
}

/**
 * Every input element goes to the output element its kept indices name (the keepdim shape broadcast back
 * gives that map). max and min: NaN propagates (once an output holds NaN nothing replaces it).
 */
function reduce(op: ReduceOp, x: TypedArray, shape: Shape, axes: readonly number[]): TypedArray {
  const keep = reducedShape(shape, axes, true);
  const target = broadcastOffsets(keep, shape);
  const acc = new Float64Array(sizeOf(keep)).fill(op === 'sum' ? 0 : op === 'max' ? -Infinity : Infinity);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    const j = target[i]!;
    const cur = acc[j]!;
    if (op === 'sum') acc[j] = cur + v;
    else if (cur === cur && (v !== v || (op === 'max' ? v > cur : v < cur))) acc[j] = v;
  }
  return fromValues(dtypeOf(x), acc);
}

/** C[z][i][j] = sum_p op(A)[z][i][p] op(B)[z][p][j] (+ bias[j]), one dot product at a time. */
function matmul({ a, b, aBatch, bBatch, batchShape, m, k, n, transA, transB, bias }: MatmulArgs): TypedArray {
  const batches = sizeOf(batchShape);
  const out = allocate(dtypeOf(a), batches * m * n);
  const aOffsets = broadcastOffsets(aBatch, batchShape);
  const bOffsets = broadcastOffsets(bBatch, batchShape);
  for (let z = 0; z < batches; z++) {
    const A = aOffsets[z]! * m * k;
    const B = bOffsets[z]! * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[transA ? A + p * m + i : A + i * k + p]! * b[transB ? B + j * k + p : B + p * n + j]!;
        out[(z * m + i) * n + j] = s + (bias ? bias[j]! : 0);
      }
    }
  }
  return out;
}

export const cpuReferenceBackend: Backend = {
  name: 'cpu-reference',
  unary,
  binary,
  reduce,
  matmul,
  permute: layout.permute,
  softmaxRows: rows.softmaxRows,
  logSumExpRows: rows.logSumExpRows,
  gather: layout.gather,
  scatterAdd: layout.scatterAdd,
  expand: layout.expand,
  slice: layout.slice,
  pad: layout.pad,
  concat: layout.concat,
  where: layout.where,
  cast: layout.cast,
  argmax: layout.argmax,
  gelu: rows.gelu,
  geluGrad: rows.geluGrad,
  layerNormRows: rows.layerNormRows,
  layerNormRowsGrad: rows.layerNormRowsGrad,
  softmaxRowsGrad: rows.softmaxRowsGrad,
  crossEntropyRows: rows.crossEntropyRows,
  crossEntropyRowsGrad: rows.crossEntropyRowsGrad,
};
