/**
 * One random call per Backend method (the record's type makes a method without a case a compile error), for
 * the reference tests (backend-reference.test.ts): random shapes, values on a grid that float32 holds
 * exactly, so a float32 run and a float64 run see the same inputs.
 */
import fc from 'fast-check';
import type { Backend, BinaryOp, ReduceOp, RowMask, UnaryOp } from '../../src/autograd/backend/index.js';
import type { TypedArray } from '../../src/autograd/index.js';
import {
  axesArb,
  broadcastableTo,
  broadcastPairArb,
  permutationArb,
  POSITIVE,
  shapeArb,
  sizeOf,
  valuesArb,
} from '../helpers/generators.js';

/** Float data in the dtype under test. */
export type MakeArray = (values: readonly number[]) => TypedArray;

export interface KernelCall {
  label: string;
  run(backend: Backend, arr: MakeArray): TypedArray;
  /** Moves or selects values without arithmetic: every backend and dtype must give the reference's values exactly. */
  exact?: boolean;
}

export type Method = Exclude<keyof Backend, 'name'>;

const SMALL = { maxRank: 4, maxSize: 48 };
const dim = (max = 6): fc.Arbitrary<number> => fc.integer({ min: 1, max });
const rowsCols = fc.tuple(dim(5), dim(9));
const call = (label: string, run: KernelCall['run'], exact = false): KernelCall => ({ label, run, exact });

const UNARY: readonly UnaryOp[] = ['neg', 'exp', 'log', 'log1p', 'sqrt', 'abs', 'tanh', 'relu', 'sign', 'reciprocal', 'step'];
const BINARY: readonly BinaryOp[] = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'gt', 'ge', 'lt', 'le', 'eq', 'ne'];
const POSITIVE_ONLY = new Set<string>(['log', 'log1p', 'sqrt', 'reciprocal']);

/** A row mask over [rows, cols] (each element its own 0/1 value), with a large negative or -inf fill. */
function maskArb(rows: number, cols: number): fc.Arbitrary<(arr: MakeArray) => RowMask> {
  return fc
    .tuple(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: rows * cols, maxLength: rows * cols }), fc.constantFrom(-1e9, -Infinity))
    .map(
      ([bits, fill]) =>
        (arr: MakeArray): RowMask => ({
          values: arr(bits.map((b) => (b === 0 ? 0 : 1))),
          offsets: Int32Array.from(bits, (_, i) => i),
          fill,
        }),
    );
}

const targetsArb = (rows: number, cols: number): fc.Arbitrary<Int32Array> =>
  fc.array(fc.integer({ min: -1, max: cols - 1 }), { minLength: rows, maxLength: rows }).map((t) => Int32Array.from(t));

/** Random [rows, cols] data, plus a second array of upstream values of the same size. */
const rowData = rowsCols.chain(([rows, cols]) =>
  fc.tuple(fc.constant(rows), fc.constant(cols), valuesArb(rows * cols), valuesArb(rows * cols)),
);

/** x viewed as [outer, dim, inner], and `count` indices into dim (per element when elementwise). */
const indexArb = fc.tuple(dim(3), dim(4), dim(3), dim(4), fc.boolean()).chain(([outer, d, inner, count, elementwise]) =>
  fc.tuple(
    fc.constant({ outer, d, inner, count, elementwise }),
    valuesArb(outer * d * inner),
    valuesArb(outer * count * inner),
    fc.array(fc.integer({ min: 0, max: d - 1 }), {
      minLength: elementwise ? outer * count * inner : count,
      maxLength: elementwise ? outer * count * inner : count,
    }),
  ),
);

/** A shape and a box inside it: [starts, starts + box). */
const boxArb = shapeArb({ minRank: 1, ...SMALL }).chain((shape) =>
  fc.tuple(
    fc.constant(shape),
    ...shape.map((d) => fc.integer({ min: 0, max: d - 1 }).chain((s) => fc.tuple(fc.constant(s), fc.integer({ min: 1, max: d - s })))),
  ),
);

export const KERNEL_CASES: Record<Method, fc.Arbitrary<KernelCall>> = {
  unary: fc
    .constantFrom(...UNARY)
    .chain((op) =>
      shapeArb(SMALL).chain((shape) =>
        valuesArb(sizeOf(shape), POSITIVE_ONLY.has(op) ? POSITIVE : {}).map((x) =>
          call(`${op} [${shape}]`, (be, arr) => be.unary(op, arr(x))),
        ),
      ),
    ),
  binary: fc
    .tuple(fc.constantFrom(...BINARY), broadcastPairArb(SMALL))
    .chain(([op, [as, bs, out]]) =>
      fc
        .tuple(valuesArb(sizeOf(as), op === 'pow' ? POSITIVE : {}), valuesArb(sizeOf(bs)))
        .map(([a, b]) => call(`${op} [${as}] [${bs}]`, (be, arr) => be.binary(op, arr(a), as, arr(b), bs, out))),
    ),
  reduce: fc.tuple(fc.constantFrom<ReduceOp>('sum', 'max', 'min'), shapeArb({ minRank: 1, maxRank: 4, maxSize: 60 })).chain(([op, shape]) =>
    fc.tuple(axesArb(shape.length), valuesArb(sizeOf(shape))).map(([axes, x]) => {
      const sorted = [...new Set(axes)].sort((p, q) => p - q);
      return call(`${op} [${shape}] over [${sorted}]`, (be, arr) => be.reduce(op, arr(x), shape, sorted));
    }),
  ),
  matmul: fc
    .tuple(shapeArb({ maxRank: 2, maxDim: 3, maxSize: 6 }), dim(7), dim(9), dim(7), fc.boolean(), fc.boolean(), fc.boolean())
    .chain(([batchShape, m, k, n, transA, transB, withBias]) =>
      fc.tuple(broadcastableTo(batchShape), broadcastableTo(batchShape)).chain(([aBatch, bBatch]) =>
        fc.tuple(valuesArb(sizeOf(aBatch) * m * k), valuesArb(sizeOf(bBatch) * k * n), valuesArb(n)).map(([a, b, bias]) =>
          call(
            `[${aBatch}|${m}x${k}${transA ? 'T' : ''}] x [${bBatch}|${k}x${n}${transB ? 'T' : ''}]${withBias ? ' + bias' : ''}`,
            (be, arr) =>
              be.matmul({
                a: arr(a),
                b: arr(b),
                aBatch,
                bBatch,
                batchShape,
                m,
                k,
                n,
                transA,
                transB,
                bias: withBias ? arr(bias) : null,
              }),
          ),
        ),
      ),
    ),
  permute: shapeArb(SMALL).chain((shape) =>
    fc
      .tuple(permutationArb(shape.length), valuesArb(sizeOf(shape)))
      .map(([perm, x]) => call(`[${shape}] by [${perm}]`, (be, arr) => be.permute(arr(x), shape, perm), true)),
  ),
  softmaxRows: rowData.chain(([rows, cols, x]) =>
    fc
      .option(maskArb(rows, cols))
      .map((mask) =>
        call(`${rows}x${cols}${mask ? ' masked' : ''}`, (be, arr) => be.softmaxRows(arr(x), rows, cols, mask ? mask(arr) : undefined)),
      ),
  ),
  logSumExpRows: rowData.map(([rows, cols, x]) => call(`${rows}x${cols}`, (be, arr) => be.logSumExpRows(arr(x), rows, cols))),
  gather: indexArb.map(([s, x, , idx]) =>
    call(
      `[${s.outer},${s.d},${s.inner}] ${s.count} ${s.elementwise ? 'elementwise' : 'shared'}`,
      (be, arr) => be.gather(arr(x), s.outer, s.d, s.inner, idx, s.count, s.elementwise),
      true,
    ),
  ),
  scatterAdd: indexArb.map(([s, , src, idx]) =>
    call(`[${s.outer},${s.d},${s.inner}] ${s.count} ${s.elementwise ? 'elementwise' : 'shared'}`, (be, arr) =>
      be.scatterAdd(arr(src), s.outer, s.d, s.inner, idx, s.count, s.elementwise),
    ),
  ),
  expand: shapeArb(SMALL).chain((out) =>
    broadcastableTo(out).chain((shape) =>
      valuesArb(sizeOf(shape)).map((x) => call(`[${shape}] to [${out}]`, (be, arr) => be.expand(arr(x), shape, out), true)),
    ),
  ),
  slice: boxArb.chain(([shape, ...box]) => {
    const starts = box.map(([s]) => s);
    const out = box.map(([, d]) => d);
    return valuesArb(sizeOf(shape)).map((x) =>
      call(`[${out}] at [${starts}] of [${shape}]`, (be, arr) => be.slice(arr(x), shape, starts, out), true),
    );
  }),
  pad: boxArb.chain(([out, ...box]) => {
    const starts = box.map(([s]) => s);
    const shape = box.map(([, d]) => d);
    return valuesArb(sizeOf(shape)).map((x) =>
      call(`[${shape}] at [${starts}] in [${out}]`, (be, arr) => be.pad(arr(x), shape, starts, out), true),
    );
  }),
  concat: shapeArb({ minRank: 1, maxRank: 3, maxSize: 24 }).chain((base) =>
    fc.tuple(fc.integer({ min: 0, max: base.length - 1 }), fc.array(dim(3), { minLength: 1, maxLength: 3 })).chain(([axis, sizes]) => {
      const shapes = sizes.map((d) => base.map((b, i) => (i === axis ? d : b)));
      const out = base.map((b, i) => (i === axis ? sizes.reduce((n, d) => n + d, 0) : b));
      return fc.tuple(...shapes.map((s) => valuesArb(sizeOf(s)))).map((xs) =>
        call(
          `${shapes.map((s) => `[${s}]`).join(' ')} on ${axis}`,
          (be, arr) =>
            be.concat(
              xs.map((x) => arr(x)),
              shapes,
              axis,
              out,
            ),
          true,
        ),
      );
    }),
  ),
  where: broadcastPairArb(SMALL).chain(([as, bs, ab]) =>
    broadcastableTo(ab).chain((cs) =>
      fc
        .tuple(
          fc.array(fc.integer({ min: 0, max: 1 }), { minLength: sizeOf(cs), maxLength: sizeOf(cs) }),
          valuesArb(sizeOf(as)),
          valuesArb(sizeOf(bs)),
        )
        .map(([c, a, b]) => {
          // cs broadcasts to ab, so the three-way result is ab.
          return call(`[${cs}] ? [${as}] : [${bs}]`, (be, arr) => be.where(arr(c), cs, arr(a), as, arr(b), bs, ab), true);
        }),
    ),
  ),
  cast: fc
    .tuple(shapeArb(SMALL), fc.constantFrom('float64' as const, 'float32' as const))
    .chain(([shape, dtype]) =>
      valuesArb(sizeOf(shape)).map((x) => call(`[${shape}] to ${dtype}`, (be, arr) => be.cast(arr(x), dtype), true)),
    ),
  argmax: fc
    .tuple(dim(4), dim(6), dim(4))
    .chain(([outer, d, inner]) =>
      valuesArb(outer * d * inner, { steps: 8 }).map((x) =>
        call(`[${outer},${d},${inner}] (with ties)`, (be, arr) => be.argmax(arr(x), outer, d, inner), true),
      ),
    ),
  gelu: shapeArb(SMALL).chain((shape) =>
    valuesArb(sizeOf(shape), { low: -5, high: 5 }).map((x) => call(`[${shape}]`, (be, arr) => be.gelu(arr(x)))),
  ),
  geluGrad: shapeArb(SMALL).chain((shape) =>
    fc
      .tuple(valuesArb(sizeOf(shape), { low: -5, high: 5 }), valuesArb(sizeOf(shape)))
      .map(([x, g]) => call(`[${shape}]`, (be, arr) => be.geluGrad(arr(x), arr(g)))),
  ),
  layerNormRows: rowData.map(([rows, cols, x]) => call(`${rows}x${cols}`, (be, arr) => be.layerNormRows(arr(x), rows, cols, 1e-5))),
  layerNormRowsGrad: rowData.map(([rows, cols, x, g]) =>
    call(`${rows}x${cols}`, (be, arr) => be.layerNormRowsGrad(arr(x), arr(g), rows, cols, 1e-5)),
  ),
  softmaxRowsGrad: rowData.chain(([rows, cols, y, g]) =>
    fc
      .option(maskArb(rows, cols))
      .map((mask) =>
        call(`${rows}x${cols}${mask ? ' masked' : ''}`, (be, arr) =>
          be.softmaxRowsGrad(arr(y), arr(g), rows, cols, mask ? mask(arr) : undefined),
        ),
      ),
  ),
  crossEntropyRows: rowData.chain(([rows, cols, x]) =>
    targetsArb(rows, cols).map((t) =>
      call(`${rows}x${cols} targets [${t.join(',')}]`, (be, arr) => be.crossEntropyRows(arr(x), rows, cols, t)),
    ),
  ),
  crossEntropyRowsGrad: rowData.chain(([rows, cols, x, g]) =>
    targetsArb(rows, cols).map((t) =>
      call(`${rows}x${cols} targets [${t.join(',')}]`, (be, arr) => be.crossEntropyRowsGrad(arr(x), arr(g.slice(0, rows)), rows, cols, t)),
    ),
  ),
};
