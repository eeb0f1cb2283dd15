/**
 * Cases for the exported op functions that are not rows of the op table: conveniences composed from
 * primitives (mean, variance, transpose, stack, ...) and index helpers without gradients (oneHot, argmax).
 * ops.test.ts checks that every function the ops module exports has a case here, in CASES, or an entry in
 * COVERED_BY.
 */
import fc from 'fast-check';
import * as ag from '../../src/autograd/index.js';
import { noGradient, OpSample, specArb, unary, type OpCase } from '../helpers/op-case.js';
import { axesArb, axisArb, broadcastableTo, shapeArb, sizeOf, spec, valueArb } from '../helpers/generators.js';
import { concatRef, permute, reduce, ref, sliceBox, unravel, ravel, type Ref } from '../helpers/reference.js';

const norm = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);
const shapeWithAxis = shapeArb({ minRank: 1 }).chain((s) => fc.tuple(fc.constant(s), axisArb(s.length)));

/** Exported functions tested through another case (the table's name for the primitive they apply). */
export const COVERED_BY: Readonly<Record<string, string>> = {
  indexSelect: 'gather',
  embedding: 'gather',
  scatterAdd: 'scatter',
  matmulT: 'matmul',
  isDifferentiable: 'ops.test.ts (not an op: a query on the table)',
  // Fused versions of composites: property-tested against the composite, gradchecked to third order.
  geluFused: 'fused.test.ts (against gelu)',
  softmaxFused: 'fused.test.ts (against softmax)',
  layerNormFused: 'fused.test.ts (against layerNorm)',
  crossEntropyFused: 'fused.test.ts (against crossEntropy)',
  linearFused: 'fused.test.ts (against add(matmulT(x, w, false, true), b))',
  maskedSoftmaxFused: 'fused.test.ts (against softmax(where(mask, x, fill)))',
};

const meanCase: OpCase = {
  differentiable: true,
  sample: shapeArb()
    .chain((s) => fc.tuple(specArb(s), fc.option(axesArb(s.length)), fc.boolean()))
    .map(([x, axes, keepdim]) => {
      const all = axes ?? x.shape.map((_, i) => i);
      const count = all.reduce((n, a) => n * x.shape[a]!, 1);
      return new OpSample(
        `mean(_, ${JSON.stringify(axes)}, ${keepdim})`,
        [x],
        (t) => ag.mean(t, axes ?? undefined, keepdim),
        (r) => {
          const s = reduce(r, all, keepdim, 0, (a, v) => a + v);
          return ref(
            s.shape,
            s.data.map((v) => v / count),
          );
        },
      );
    }),
};

const varianceCase: OpCase = {
  differentiable: true,
  sample: shapeWithAxis
    .chain(([s, axis]) => fc.tuple(specArb(s), fc.constant(axis), fc.boolean()))
    .map(
      ([x, axis, keepdim]) =>
        new OpSample(
          `variance(_, ${axis}, ${keepdim})`,
          [x],
          (t) => ag.variance(t, axis, keepdim),
          (r) => {
            const a = norm(axis, r.shape.length);
            const n = r.shape[a]!;
            const mean = reduce(r, [a], true, 0, (acc, v) => acc + v);
            const out = reduce(
              ref(
                r.shape,
                r.data.map((v, i) => {
                  const at = unravel(i, r.shape);
                  at[a] = 0;
                  const d = v - mean.data[ravel(at, mean.shape)]! / n;
                  return d * d;
                }),
              ),
              [a],
              keepdim,
              0,
              (acc, v) => acc + v,
            );
            return ref(
              out.shape,
              out.data.map((v) => v / n),
            );
          },
        ),
    ),
};

const sumToShapeCase: OpCase = {
  differentiable: true,
  sample: shapeArb()
    .chain((out) => fc.tuple(specArb(out), broadcastableTo(out)))
    .map(
      ([g, target]) =>
        new OpSample(
          `sumToShape(_, ${JSON.stringify(target)})`,
          [g],
          (t) => ag.sumToShape(t, target),
          (r) => {
            const data = new Float64Array(sizeOf(target));
            const lead = r.shape.length - target.length;
            for (let i = 0; i < r.data.length; i++) {
              const at = unravel(i, r.shape)
                .slice(lead)
                .map((v, k) => (target[k] === 1 ? 0 : v));
              data[ravel(at, target)]! += r.data[i]!;
            }
            return ref(target, data);
          },
        ),
    ),
};

const transposeCase: OpCase = {
  differentiable: true,
  sample: shapeArb({ minRank: 2 })
    .chain((s) => fc.tuple(specArb(s), axisArb(s.length), axisArb(s.length)))
    .map(
      ([x, d0, d1]) =>
        new OpSample(
          `transpose(_, ${d0}, ${d1})`,
          [x],
          (t) => ag.transpose(t, d0, d1),
          (r) => {
            const perm = r.shape.map((_, i) => i);
            const [a, b] = [norm(d0, perm.length), norm(d1, perm.length)];
            [perm[a], perm[b]] = [perm[b]!, perm[a]!];
            return permute(r, perm);
          },
        ),
    ),
};

const reshapeRef =
  (shape: readonly number[]) =>
  (r: Ref): Ref =>
    ref(shape, r.data);

const unsqueezeCase: OpCase = {
  differentiable: true,
  sample: shapeArb({ maxRank: 3 })
    .chain((s) => fc.tuple(specArb(s), fc.integer({ min: -(s.length + 1), max: s.length })))
    .map(([x, axis]) => {
      const shape = [...x.shape];
      shape.splice(norm(axis, x.shape.length + 1), 0, 1);
      return new OpSample(`unsqueeze(_, ${axis})`, [x], (t) => ag.unsqueeze(t, axis), reshapeRef(shape));
    }),
};

const squeezeCase: OpCase = {
  differentiable: true,
  sample: shapeArb({ minDim: 1, maxDim: 2 })
    .chain((s) => fc.tuple(specArb(s), fc.option(fc.constantFrom(...s.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0), -99))))
    .map(([x, choice]) => {
      const axis = choice === null || choice === -99 ? undefined : choice;
      const shape = axis === undefined ? x.shape.filter((d) => d !== 1) : x.shape.filter((_, i) => i !== axis);
      return new OpSample(`squeeze(_, ${axis})`, [x], (t) => ag.squeeze(t, axis), reshapeRef(shape));
    }),
};

const flattenCase: OpCase = {
  differentiable: true,
  sample: shapeArb({ minRank: 1 })
    .chain((s) => fc.tuple(specArb(s), fc.integer({ min: 0, max: s.length - 1 }), fc.integer({ min: 0, max: s.length - 1 })))
    .map(([x, a, b]) => {
      const [start, end] = [Math.min(a, b), Math.max(a, b)];
      const shape = [...x.shape.slice(0, start), sizeOf(x.shape.slice(start, end + 1)), ...x.shape.slice(end + 1)];
      return new OpSample(`flatten(_, ${start}, ${end})`, [x], (t) => ag.flatten(t, start, end), reshapeRef(shape));
    }),
};

const narrowCase: OpCase = {
  differentiable: true,
  sample: shapeWithAxis
    .chain(([s, axis]) => {
      const d = s[norm(axis, s.length)]!;
      return fc.tuple(
        specArb(s),
        fc.constant(axis),
        fc.integer({ min: 0, max: d - 1 }).chain((start) => fc.tuple(fc.constant(start), fc.integer({ min: 1, max: d - start }))),
      );
    })
    .map(([x, axis, [start, length]]) => {
      const a = norm(axis, x.shape.length);
      const starts = x.shape.map((_, i) => (i === a ? start : 0));
      const ends = x.shape.map((d, i) => (i === a ? start + length : d));
      return new OpSample(
        `narrow(_, ${axis}, ${start}, ${length})`,
        [x],
        (t) => ag.narrow(t, axis, start, length),
        (r) => sliceBox(r, starts, ends),
      );
    }),
};

const stackCase: OpCase = {
  differentiable: true,
  sample: fc
    .tuple(shapeArb({ maxRank: 3, maxSize: 8 }), fc.integer({ min: 1, max: 3 }))
    .chain(([s, count]) =>
      fc.tuple(fc.array(specArb(s), { minLength: count, maxLength: count }), fc.integer({ min: -(s.length + 1), max: s.length })),
    )
    .map(
      ([parts, axis]) =>
        new OpSample(
          `stack([...], ${axis})`,
          parts,
          (...xs) => ag.stack(xs, axis),
          (...rs) => {
            const a = norm(axis, rs[0]!.shape.length + 1);
            const lifted = rs.map((r) => {
              const shape = [...r.shape];
              shape.splice(a, 0, 1);
              return ref(shape, r.data);
            });
            return concatRef(lifted, a);
          },
        ),
    ),
};

const expandAsCase: OpCase = {
  differentiable: true,
  sample: shapeArb()
    .chain((out) =>
      fc.tuple(
        broadcastableTo(out).chain((s) => specArb(s)),
        specArb(out, valueArb(), false),
      ),
    )
    .map(
      ([x, like]) =>
        new OpSample(
          'expandAs',
          [x, like],
          (t, l) => ag.expandAs(t, l),
          (r, l) => {
            const data = new Float64Array(l.data.length);
            const lead = l.shape.length - r.shape.length;
            for (let i = 0; i < data.length; i++) {
              const at = unravel(i, l.shape)
                .slice(lead)
                .map((v, k) => (r.shape[k] === 1 ? 0 : v));
              data[i] = r.data[ravel(at, r.shape)]!;
            }
            return ref(l.shape, data);
          },
        ),
    ),
};

const argmaxCase: OpCase = noGradient({
  differentiable: false,
  sample: shapeWithAxis
    .chain(([s, axis]) => fc.tuple(specArb(s, valueArb({ steps: 4 })), fc.constant(axis)))
    .map(
      ([x, axis]) =>
        new OpSample(
          `argmax(_, ${axis})`,
          [x],
          (t) => ag.argmax(t, axis),
          (r) => {
            const a = norm(axis, r.shape.length);
            const best = reduce(r, [a], false, -Infinity, Math.max);
            const out = new Float64Array(best.data.length).fill(-1);
            // The first index reaching the maximum along the axis (ties go to the first).
            for (let i = 0; i < r.data.length; i++) {
              const at = unravel(i, r.shape);
              const o = ravel(
                at.filter((_, k) => k !== a),
                best.shape,
              );
              if (out[o] === -1 && r.data[i] === best.data[o]) out[o] = at[a]!;
            }
            return ref(best.shape, out);
          },
        ),
    ),
});

const oneHotCase: OpCase = noGradient({
  differentiable: false,
  sample: fc
    .tuple(shapeArb({ maxRank: 2 }), fc.integer({ min: 1, max: 4 }))
    .chain(([s, classes]) =>
      fc.tuple(
        fc
          .array(fc.integer({ min: -classes, max: classes - 1 }), { minLength: sizeOf(s), maxLength: sizeOf(s) })
          .map((v) => spec(s, v, false)),
        fc.constant(classes),
      ),
    )
    .map(([ids, classes]) => {
      const indices = ag.tensor(Float64Array.from(ids.values), { shape: ids.shape });
      return new OpSample(
        `oneHot(${JSON.stringify(ids.values)}, ${classes})`,
        [],
        () => ag.oneHot(indices, classes, 'float64'),
        () => {
          const data = new Float64Array(ids.values.length * classes);
          ids.values.forEach((v, i) => (data[i * classes + norm(v, classes)] = 1));
          return ref([...ids.shape, classes], data);
        },
      );
    }),
});

export const EXTRA_CASES: Readonly<Record<string, OpCase>> = {
  mean: meanCase,
  variance: varianceCase,
  sumToShape: sumToShapeCase,
  transpose: transposeCase,
  unsqueeze: unsqueezeCase,
  squeeze: squeezeCase,
  flatten: flattenCase,
  narrow: narrowCase,
  stack: stackCase,
  expandAs: expandAsCase,
  leakyRelu: unary(
    'leakyRelu',
    (x) => ag.leakyRelu(x, 0.1),
    (v) => (v > 0 ? v : 0.1 * v),
    valueArb({ avoid: [0] }),
  ),
  square: unary('square', ag.square, (v) => v * v),
  argmax: argmaxCase,
  oneHot: oneHotCase,
};
