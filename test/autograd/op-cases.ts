/**
 * One test case per op of the op table (src/autograd/ops/table.ts). The record is typed by the table's names,
 * so an op added to the table without a case here fails to compile; ops.test.ts also checks it at run time.
 * Each case draws random shapes (broadcast pairs, size-1 dims, 0-d, odd sizes) and values (grids in a range,
 * positive where the op needs it, away from kinks, distinct where ties matter) and carries a float64
 * reference written out here. Backend tests may reuse these cases.
 */
import fc from 'fast-check';
import * as ag from '../../src/autograd/index.js';
import { Generator, type CompositeName, type PrimitiveName, type Tensor } from '../../src/autograd/index.js';
import { binary, noGradient, OpSample, specArb, unary, type OpCase, type Values } from '../helpers/op-case.js';
import {
  axesArb,
  axisArb,
  broadcastableTo,
  broadcastPairArb,
  distinctSpecsArb,
  distinctValuesArb,
  permutationArb,
  POSITIVE,
  shapeArb,
  sizeOf,
  spec,
  valueArb,
  type TensorSpec,
} from '../helpers/generators.js';
import {
  alongAxis,
  concatRef,
  map,
  matmulRef,
  padBox,
  permute,
  ravel,
  reduce,
  ref,
  sliceBox,
  unravel,
  zip,
  type Ref,
} from '../helpers/reference.js';

const norm = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);
/** |x| in [0.5, 2.5] with either sign: for denominators and reciprocals. */
const awayFromZero: Values = fc.tuple(valueArb({ low: 0.5, high: 2.5 }), fc.boolean()).map(([v, s]) => (s ? -v : v));
/** A coarse grid (step 0.5) so that comparisons meet ties and zeros often. */
const coarse: Values = valueArb({ low: -2, high: 2, steps: 8 });
const kinkAtZero: Values = valueArb({ avoid: [0] });
const wide: Values = valueArb({ low: -3, high: 3 });
const positive: Values = valueArb(POSITIVE);

/** Shapes of rank >= 1 with an axis of them. */
const shapeWithAxis = shapeArb({ minRank: 1 }).chain((s) => fc.tuple(fc.constant(s), axisArb(s.length)));

// ---- elementwise -------------------------------------------------------------------------------------------

/** pow: positive bases; a tensor exponent (gradients to both) or a number exponent other than 2. */
const powCase: OpCase = {
  differentiable: true,
  sample: fc.oneof(
    binary('pow', ag.pow, Math.pow, positive, valueArb({ low: -2, high: 2 })).sample,
    fc
      .tuple(
        shapeArb().chain((s) => specArb(s, positive)),
        fc.constantFrom(-1.5, -1, 0.5, 3, 2.5),
      )
      .map(
        ([x, e]) =>
          new OpSample(
            `pow(_, ${e})`,
            [x],
            (t) => ag.pow(t, e),
            (r) => map(r, (v) => v ** e),
          ),
      ),
  ),
};

/** maximum/minimum: all values distinct (no ties within 10 eps), or a number operand kept away from x. */
function extremeCase(label: string, fn: (a: ag.TensorLike, b: ag.TensorLike) => Tensor, f: (a: number, b: number) => number): OpCase {
  const pair = broadcastPairArb()
    .chain(([sa, sb]) => distinctSpecsArb([sa, sb]))
    .map(
      ([a, b]) =>
        new OpSample(
          label,
          [a!, b!],
          (x, y) => fn(x, y),
          (x, y) => zip([x, y], f),
        ),
    );
  const withNumber = fc
    .tuple(shapeArb(), coarse)
    .chain(([s, c]) => fc.tuple(specArb(s, valueArb({ avoid: [c] })), fc.constant(c)))
    .map(
      ([x, c]) =>
        new OpSample(
          `${label}(_, ${c})`,
          [x],
          (t) => fn(t, c),
          (r) => map(r, (v) => f(v, c)),
        ),
    );
  return { differentiable: true, sample: fc.oneof(pair, withNumber) };
}

/** cast there and back: values on a 1/64 grid and a power-of-two step, so float32 rounding is exact. */
const castCase: OpCase = {
  differentiable: true,
  sample: shapeArb()
    .chain((s) => specArb(s, valueArb({ low: -2, high: 2, steps: 256 })))
    .map(
      (x) =>
        new OpSample(
          'cast(cast(x, other dtype), x.dtype)',
          [x],
          (t) => ag.cast(ag.cast(t, t.dtype === 'float64' ? 'float32' : 'float64'), t.dtype),
          (r) => map(r, Math.fround),
        ),
    ),
  gradcheck: { eps: 2 ** -10 },
};

const whereCase: OpCase = {
  differentiable: true,
  sample: shapeArb()
    .chain((out) => fc.tuple(broadcastableTo(out), broadcastableTo(out), broadcastableTo(out)))
    .chain(([sc, sa, sb]) => fc.tuple(specArb(sc, fc.constantFrom(0, 1, -1, 2), false), specArb(sa), specArb(sb)))
    .map(([c, a, b]) => {
      const condition = ag.tensor(Float64Array.from(c.values), { shape: c.shape });
      return new OpSample(
        `where(c[${c.shape}]=${JSON.stringify(c.values)}, _, _)`,
        [a, b],
        (x, y) => ag.where(condition, x, y),
        (x, y) => zip([ref(c.shape, c.values), x, y], (cv, xv, yv) => (cv !== 0 ? xv : yv)),
      );
    }),
};

// ---- reductions --------------------------------------------------------------------------------------------

/** A reduction over a random axis subset (some negative), or over everything (axes omitted), keepdim or not. */
function reduceCase(
  label: string,
  fn: (x: Tensor, axes: number[] | undefined, keepdim: boolean) => Tensor,
  init: number,
  f: (acc: number, v: number) => number,
  distinct: boolean,
): OpCase {
  return {
    differentiable: true,
    sample: shapeArb()
      .chain((s) =>
        fc.tuple(
          distinct ? distinctValuesArb(sizeOf(s)).map((v) => spec(s, v)) : specArb(s),
          fc.option(fc.tuple(axesArb(s.length), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }))),
          fc.boolean(),
        ),
      )
      .map(([x, axesChoice, keepdim]) => {
        const rank = x.shape.length;
        const axes = axesChoice === null ? undefined : axesChoice[0].map((a, i) => (axesChoice[1][i] ? a - rank : a));
        const normalized = axes === undefined ? x.shape.map((_, i) => i) : axes.map((a) => norm(a, rank));
        return new OpSample(
          `${label}(_, ${JSON.stringify(axes)}, ${keepdim})`,
          [x],
          (t) => fn(t, axes, keepdim),
          (r) => reduce(r, normalized, keepdim, init, f),
        );
      }),
  };
}

// ---- shapes ------------------------------------------------------------------------------------------------

/** reshape to a regrouping of the dims: shuffled, adjacent ones merged, a 1 inserted, maybe one -1. */
const reshapeCase: OpCase = {
  differentiable: true,
  sample: shapeArb()
    .chain((s) =>
      fc.tuple(
        specArb(s),
        fc.shuffledSubarray(s, { minLength: s.length, maxLength: s.length }),
        fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }),
        fc.option(fc.nat(4)),
        fc.option(fc.nat(4)),
      ),
    )
    .map(([x, dims, merge, onePos, inferPos]) => {
      const target: number[] = [];
      dims.forEach((d, i) => {
        if (merge[i] && target.length > 0) target[target.length - 1]! *= d;
        else target.push(d);
      });
      if (onePos !== null) target.splice(onePos % (target.length + 1), 0, 1);
      const resolved = [...target];
      const asked = [...target];
      if (inferPos !== null && asked.length > 0) asked[inferPos % asked.length] = -1;
      return new OpSample(
        `reshape(_, ${JSON.stringify(asked)})`,
        [x],
        (t) => ag.reshape(t, asked),
        (r) => ref(resolved, r.data),
      );
    }),
};

const permuteCase: OpCase = {
  differentiable: true,
  sample: shapeArb()
    .chain((s) => fc.tuple(specArb(s), permutationArb(s.length)))
    .map(
      ([x, perm]) =>
        new OpSample(
          `permute(_, ${JSON.stringify(perm)})`,
          [x],
          (t) => ag.permute(t, perm),
          (r) => permute(r, perm),
        ),
    ),
};

/** Broadcast x to `shape` in the reference. */
function broadcastTo(x: Ref, shape: readonly number[]): Ref {
  return zip([x, ref(shape, new Float64Array(sizeOf(shape)))], (v) => v);
}

const expandCase: OpCase = {
  differentiable: true,
  sample: shapeArb()
    .chain((out) =>
      fc.tuple(
        fc.constant(out),
        broadcastableTo(out).chain((s) => specArb(s)),
      ),
    )
    .map(
      ([out, x]) =>
        new OpSample(
          `expand(_, ${JSON.stringify(out)})`,
          [x],
          (t) => ag.expand(t, out),
          (r) => broadcastTo(r, out),
        ),
    ),
};

/** A non-empty range [start, end) of a dim of size d, written with negative indices half the time, or null. */
function rangeArb(d: number): fc.Arbitrary<readonly [number, number] | null> {
  const range = fc
    .integer({ min: 0, max: d - 1 })
    .chain((s) => fc.tuple(fc.constant(s), fc.integer({ min: s + 1, max: d }), fc.boolean()))
    .map(([s, e, negative]): readonly [number, number] => (negative ? [s - d, e === d ? e : e - d] : [s, e]));
  return fc.option(range);
}

const sliceCase: OpCase = {
  differentiable: true,
  sample: shapeArb({ minRank: 1 })
    .chain((s) => fc.tuple(specArb(s), fc.tuple(...s.map(rangeArb))))
    .map(([x, ranges]) => {
      const starts = x.shape.map((d, i) => {
        const r = ranges[i];
        return r ? norm(r[0], d) : 0;
      });
      const ends = x.shape.map((d, i) => {
        const r = ranges[i];
        return r ? (r[1] < 0 ? r[1] + d : r[1]) : d;
      });
      return new OpSample(
        `slice(_, ${JSON.stringify(ranges)})`,
        [x],
        (t) => ag.slice(t, ranges),
        (r) => sliceBox(r, starts, ends),
      );
    }),
};

const padCase: OpCase = {
  differentiable: true,
  sample: shapeArb({ maxSize: 12 })
    .chain((s) =>
      fc.tuple(
        specArb(s),
        fc.tuple(
          ...s.map(() => fc.integer({ min: 0, max: 2 }).chain((extra) => fc.tuple(fc.integer({ min: 0, max: extra }), fc.constant(extra)))),
        ),
      ),
    )
    .map(([x, boxes]) => {
      const starts = boxes.map(([st]) => st);
      const shape = x.shape.map((d, i) => d + boxes[i]![1]);
      return new OpSample(
        `pad(_, ${JSON.stringify(starts)}, ${JSON.stringify(shape)})`,
        [x],
        (t) => ag.pad(t, starts, shape),
        (r) => padBox(r, starts, shape),
      );
    }),
};

/** 1 to 3 tensors of equal shape but for the concat axis. */
const concatCase: OpCase = {
  differentiable: true,
  sample: fc
    .tuple(shapeArb({ minRank: 1, maxRank: 3, maxSize: 8 }), fc.integer({ min: 1, max: 3 }))
    .chain(([base, count]) =>
      fc.tuple(axisArb(base.length), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: count, maxLength: count }), fc.constant(base)),
    )
    .chain(([axis, sizes, base]) =>
      fc.tuple(fc.constant(axis), fc.tuple(...sizes.map((n) => specArb(base.map((d, i) => (i === norm(axis, base.length) ? n : d)))))),
    )
    .map(
      ([axis, parts]) =>
        new OpSample(
          `concat([...], ${axis})`,
          parts,
          (...xs) => ag.concat(xs, axis),
          (...rs) => concatRef(rs, norm(axis, rs[0]!.shape.length)),
        ),
    ),
};

// ---- matmul ------------------------------------------------------------------------------------------------

/** Matrix dims 1-3, unbiased (fast-check would otherwise favour 1). */
const dim = fc.noBias(fc.integer({ min: 1, max: 3 }));

/** matmul with broadcast batch dims, with 1-d operands, and the primitive matmulT with transpose flags. */
const matmulCase: OpCase = {
  differentiable: true,
  sample: fc.oneof(
    fc
      .tuple(broadcastPairArb({ maxRank: 2, maxSize: 4 }), dim, dim, dim)
      .chain(([[ba, bb], m, k, n]) => fc.tuple(specArb([...ba, m, k]), specArb([...bb, k, n])))
      .map(
        ([a, b]) =>
          new OpSample(
            'matmul',
            [a, b],
            (x, y) => ag.matmul(x, y),
            (x, y) => matmulRef(x, y),
          ),
      ),
    fc
      .tuple(dim, dim, dim, fc.constantFrom('a', 'b', 'both'))
      .chain(([m, k, n, vec]) => fc.tuple(specArb(vec === 'b' ? [m, k] : [k]), specArb(vec === 'a' ? [k, n] : [k]), fc.constant(vec)))
      .map(([a, b, vec]) => {
        const reference = (x: Ref, y: Ref): Ref => {
          const x2 = x.shape.length === 1 ? ref([1, x.shape[0]!], x.data) : x;
          const y2 = y.shape.length === 1 ? ref([y.shape[0]!, 1], y.data) : y;
          const out = matmulRef(x2, y2);
          const shape = vec === 'both' ? [] : vec === 'a' ? [out.shape[1]!] : [out.shape[0]!];
          return ref(shape, out.data);
        };
        return new OpSample(`matmul (1-d ${vec})`, [a, b], (x, y) => ag.matmul(x, y), reference);
      }),
    fc
      .tuple(broadcastPairArb({ maxRank: 1, maxSize: 3 }), dim, dim, dim, fc.boolean(), fc.boolean())
      .chain(([[ba, bb], m, k, n, tA, tB]) =>
        fc.tuple(specArb([...ba, ...(tA ? [k, m] : [m, k])]), specArb([...bb, ...(tB ? [n, k] : [k, n])]), fc.constant([tA, tB] as const)),
      )
      .map(
        ([a, b, [tA, tB]]) =>
          new OpSample(
            `matmulT(_, _, ${tA}, ${tB})`,
            [a, b],
            (x, y) => ag.matmulT(x, y, tA, tB),
            (x, y) => matmulRef(x, y, tA, tB),
          ),
      ),
  ),
};

// ---- indexing ----------------------------------------------------------------------------------------------

/** x, an axis, and an index tensor of x's shape but for the axis (indices in range, negative allowed, repeats). */
const gatherInputs = shapeWithAxis.chain(([s, axis]) => {
  const a = norm(axis, s.length);
  const d = s[a]!;
  return fc.integer({ min: 1, max: 4 }).chain((count) => {
    const indexShape = s.map((v, i) => (i === a ? count : v));
    return fc.tuple(
      specArb(s),
      fc.constant(axis),
      fc
        .array(fc.integer({ min: -d, max: d - 1 }), { minLength: sizeOf(indexShape), maxLength: sizeOf(indexShape) })
        .map((v) => spec(indexShape, v, false)),
    );
  });
});

function gatherRef(x: Ref, axis: number, index: TensorSpec): Ref {
  const d = x.shape[axis]!;
  const data = new Float64Array(index.values.length);
  for (let i = 0; i < data.length; i++) {
    const at = unravel(i, index.shape);
    at[axis] = norm(index.values[i]!, d);
    data[i] = x.data[ravel(at, x.shape)]!;
  }
  return ref(index.shape, data);
}

/** indexSelect (and so embedding): ids of shape rank 1-2 along one axis. */
function indexSelectRef(x: Ref, axis: number, ids: TensorSpec): Ref {
  const shape = [...x.shape.slice(0, axis), ...ids.shape, ...x.shape.slice(axis + 1)];
  const data = new Float64Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) {
    const at = unravel(i, shape);
    const idsAt = at.slice(axis, axis + ids.shape.length);
    const src = [...at.slice(0, axis), ids.values[ravel(idsAt, ids.shape)]!, ...at.slice(axis + ids.shape.length)];
    data[i] = x.data[ravel(src, x.shape)]!;
  }
  return ref(shape, data);
}

const indexTensor = (s: TensorSpec): Tensor => ag.tensor(Float64Array.from(s.values), { shape: s.shape });

const gatherCase: OpCase = {
  differentiable: true,
  sample: fc.oneof(
    gatherInputs.map(
      ([x, axis, index]) =>
        new OpSample(
          `gather(_, ${axis}, ${JSON.stringify(index.values)})`,
          [x],
          (t) => ag.gather(t, axis, indexTensor(index)),
          (r) => gatherRef(r, norm(axis, r.shape.length), index),
        ),
    ),
    shapeWithAxis
      .chain(([s, axis]) => {
        const d = s[norm(axis, s.length)]!;
        return fc.tuple(
          specArb(s),
          fc.constant(axis),
          shapeArb({ minRank: 1, maxRank: 2, maxDim: 3 }).chain((is) =>
            fc.array(fc.integer({ min: 0, max: d - 1 }), { minLength: sizeOf(is), maxLength: sizeOf(is) }).map((v) => spec(is, v, false)),
          ),
        );
      })
      .map(
        ([x, axis, ids]) =>
          new OpSample(
            `indexSelect(_, ${axis}, ${JSON.stringify(ids.values)})`,
            [x],
            (t) => ag.indexSelect(t, axis, indexTensor(ids)),
            (r) => indexSelectRef(r, norm(axis, r.shape.length), ids),
          ),
      ),
  ),
};

/** scatterAdd(x, axis, index, src): gradients to both x and src; repeated indices accumulate. */
const scatterCase: OpCase = {
  differentiable: true,
  sample: gatherInputs
    .chain(([x, axis, index]) => fc.tuple(fc.constant(x), fc.constant(axis), fc.constant(index), specArb(index.shape)))
    .map(([x, axis, index, src]) => {
      const reference = (xr: Ref, sr: Ref): Ref => {
        const a = norm(axis, xr.shape.length);
        const out = Float64Array.from(xr.data);
        for (let i = 0; i < sr.data.length; i++) {
          const at = unravel(i, index.shape);
          at[a] = norm(index.values[i]!, xr.shape[a]!);
          out[ravel(at, xr.shape)]! += sr.data[i]!;
        }
        return ref(xr.shape, out);
      };
      return new OpSample(
        `scatterAdd(_, ${axis}, ${JSON.stringify(index.values)}, _)`,
        [x, src],
        (t, s) => ag.scatterAdd(t, axis, indexTensor(index), s),
        reference,
      );
    }),
};

// ---- composites --------------------------------------------------------------------------------------------

const logSumExpRow = (row: number[]): number => Math.log(row.reduce((s, v) => s + Math.exp(v), 0));

/** An op along one axis of a rank >= 1 tensor. */
function axisCase(label: string, fn: (x: Tensor, axis: number) => Tensor, rowRef: (row: number[]) => number[]): OpCase {
  return {
    differentiable: true,
    sample: shapeWithAxis
      .chain(([s, axis]) => fc.tuple(specArb(s, wide), fc.constant(axis)))
      .map(
        ([x, axis]) =>
          new OpSample(
            `${label}(_, ${axis})`,
            [x],
            (t) => fn(t, axis),
            (r) => alongAxis(r, norm(axis, r.shape.length), rowRef),
          ),
      ),
  };
}

const logsumexpCase: OpCase = {
  differentiable: true,
  sample: shapeWithAxis
    .chain(([s, axis]) => fc.tuple(specArb(s, wide), fc.constant(axis), fc.boolean()))
    .map(
      ([x, axis, keepdim]) =>
        new OpSample(
          `logsumexp(_, ${axis}, ${keepdim})`,
          [x],
          (t) => ag.logsumexp(t, axis, keepdim),
          (r) =>
            map(
              reduce(map(r, Math.exp), [norm(axis, r.shape.length)], keepdim, 0, (a, v) => a + v),
              Math.log,
            ),
        ),
    ),
};

const LN_EPS = 1e-5;

/** layerNorm over the last 1..rank dims (at least 2 elements), with or without weight and bias, at two scales. */
const layerNormCase: OpCase = {
  differentiable: true,
  sample: shapeArb({ minRank: 1, maxSize: 16 })
    .chain((s) => fc.tuple(fc.constant(s), fc.integer({ min: 1, max: s.length })))
    .filter(([s, nd]) => sizeOf(s.slice(s.length - nd)) >= 2)
    // Scale 0.01 makes the variance comparable to eps, so a missing or misplaced eps shows in the values.
    .chain(([s, nd]) =>
      fc.tuple(fc.constantFrom(1, 0.01), fc.constant(nd), fc.boolean()).chain(([scale, n, affine]) => {
        const inner = s.slice(s.length - n);
        return fc.tuple(
          specArb(
            s,
            valueArb().map((v) => v * scale),
          ),
          fc.constant(n),
          affine ? fc.tuple(specArb(inner), specArb(inner)) : fc.constant(null),
        );
      }),
    )
    .map(([x, nd, affine]) => {
      const reference = (xr: Ref, w?: Ref, b?: Ref): Ref => {
        const inner = sizeOf(xr.shape.slice(xr.shape.length - nd));
        const out = new Float64Array(xr.data.length);
        for (let g = 0; g < xr.data.length / inner; g++) {
          const row = Array.from(xr.data.subarray(g * inner, (g + 1) * inner));
          const mu = row.reduce((a, v) => a + v, 0) / inner;
          const v = row.reduce((a, x) => a + (x - mu) * (x - mu), 0) / inner;
          row.forEach((x, j) => (out[g * inner + j] = ((x - mu) / Math.sqrt(v + LN_EPS)) * (w ? w.data[j]! : 1) + (b ? b.data[j]! : 0)));
        }
        return ref(xr.shape, out);
      };
      const inputs = affine ? [x, ...affine] : [x];
      return new OpSample(
        `layerNorm(_, ${affine ? 'w, b' : '-, -'}, 1e-5, ${nd})`,
        inputs,
        (t, w, b) => ag.layerNorm(t, w, b, LN_EPS, nd),
        reference,
      );
    }),
};

/** crossEntropy on logits [...batch, C] with integer targets, some ignored, each reduction. */
const crossEntropyCase: OpCase = {
  differentiable: true,
  sample: fc
    .tuple(
      shapeArb({ maxRank: 2, maxDim: 3 }),
      fc.integer({ min: 1, max: 4 }),
      fc.constantFrom<'mean' | 'sum' | 'none'>('mean', 'sum', 'none'),
      fc.boolean(),
    )
    .chain(([batch, classes, reduction, withIgnore]) =>
      fc.tuple(
        specArb([...batch, classes], wide),
        fc.array(fc.integer({ min: withIgnore ? -1 : 0, max: classes - 1 }), { minLength: sizeOf(batch), maxLength: sizeOf(batch) }),
        fc.constant(reduction),
        fc.constant(batch),
      ),
    )
    .map(([logits, raw, reduction, batch]) => {
      // -1 in the draw stands for the ignore index.
      const IGNORE = -100;
      const targets = raw.map((t) => (t < 0 ? IGNORE : t));
      const reference = (x: Ref): Ref => {
        const c = x.shape[x.shape.length - 1]!;
        const losses = targets.map((t, i) =>
          t === IGNORE ? 0 : logSumExpRow(Array.from(x.data.subarray(i * c, (i + 1) * c))) - x.data[i * c + t]!,
        );
        const kept = targets.filter((t) => t !== IGNORE).length;
        const total = losses.reduce((a, v) => a + v, 0);
        if (reduction === 'none') return ref(batch, losses);
        return ref([], [reduction === 'sum' ? total : total / Math.max(kept, 1)]);
      };
      return new OpSample(
        `crossEntropy(_, ${JSON.stringify(targets)}, ${reduction})`,
        [logits],
        (t) => ag.crossEntropy(t, targets, { ignoreIndex: IGNORE, reduction }),
        reference,
      );
    }),
};

/** dropout with a seeded generator (a fresh one per call, so the mask is fixed); the identity when not training. */
const dropoutCase: OpCase = {
  differentiable: true,
  sample: fc
    .tuple(
      shapeArb().chain((s) => specArb(s)),
      fc.constantFrom(0, 0.25, 0.5, 0.9),
      fc.boolean(),
      fc.nat(1000),
    )
    .map(([x, p, training, seed]) => {
      const reference = (r: Ref): Ref => {
        if (!training || p === 0) return r;
        const gen = new Generator(seed);
        return map(r, (v) => (gen.random() < p ? 0 : v / (1 - p)));
      };
      return new OpSample(
        `dropout(_, ${p}, training=${training}, seed=${seed})`,
        [x],
        (t) => ag.dropout(t, p, { generator: new Generator(seed), training }),
        reference,
      );
    }),
};

const mseLossCase: OpCase = {
  differentiable: true,
  sample: broadcastPairArb()
    .chain(([sa, sb]) => fc.tuple(specArb(sa), specArb(sb)))
    .map(
      ([a, b]) =>
        new OpSample(
          'mseLoss',
          [a, b],
          (x, y) => ag.mseLoss(x, y),
          (x, y) => {
            const sq = zip([x, y], (u, v) => (u - v) * (u - v));
            return ref([], [sq.data.reduce((s, v) => s + v, 0) / sq.data.length]);
          },
        ),
    ),
};

const softplusRef = (v: number): number => Math.log(1 + Math.exp(v));
const sigmoidRef = (v: number): number => 1 / (1 + Math.exp(-v));
const GELU_C = Math.sqrt(2 / Math.PI);
/** softplus, logsigmoid, sigmoid: smooth everywhere, 0 included (test/autograd/edge-points.test.ts pins it). */
const smoothRange: Values = valueArb({ low: -4, high: 4 });

export const CASES: Record<PrimitiveName | CompositeName, OpCase> = {
  neg: unary('neg', ag.neg, (v) => -v),
  exp: unary('exp', ag.exp, Math.exp, wide),
  log: unary('log', ag.log, Math.log, positive),
  sqrt: unary('sqrt', ag.sqrt, Math.sqrt, positive),
  abs: unary('abs', ag.abs, Math.abs, kinkAtZero),
  tanh: unary('tanh', ag.tanh, Math.tanh, wide),
  relu: unary('relu', ag.relu, (v) => Math.max(v, 0), kinkAtZero),
  log1p: unary('log1p', ag.log1p, Math.log1p, valueArb({ low: -0.75, high: 3 })),
  reciprocal: unary('reciprocal', ag.reciprocal, (v) => 1 / v, awayFromZero),
  sign: noGradient(unary('sign', ag.sign, Math.sign, coarse)),
  step: noGradient(unary('step', ag.step, (v) => (v > 0 ? 1 : 0), coarse)),

  add: binary('add', ag.add, (a, b) => a + b),
  sub: binary('sub', ag.sub, (a, b) => a - b),
  mul: binary('mul', ag.mul, (a, b) => a * b),
  div: binary('div', ag.div, (a, b) => a / b, valueArb(), awayFromZero),
  pow: powCase,
  maximum: extremeCase('maximum', ag.maximum, Math.max),
  minimum: extremeCase('minimum', ag.minimum, Math.min),
  gt: noGradient(binary('gt', ag.gt, (a, b) => Number(a > b), coarse)),
  ge: noGradient(binary('ge', ag.ge, (a, b) => Number(a >= b), coarse)),
  lt: noGradient(binary('lt', ag.lt, (a, b) => Number(a < b), coarse)),
  le: noGradient(binary('le', ag.le, (a, b) => Number(a <= b), coarse)),
  eq: noGradient(binary('eq', ag.eq, (a, b) => Number(a === b), coarse)),
  ne: noGradient(binary('ne', ag.ne, (a, b) => Number(a !== b), coarse)),
  cast: castCase,
  where: whereCase,

  sum: reduceCase('sum', ag.sum, 0, (a, v) => a + v, false),
  max: reduceCase('max', ag.max, -Infinity, Math.max, true),
  min: reduceCase('min', ag.min, Infinity, Math.min, true),

  reshape: reshapeCase,
  permute: permuteCase,
  expand: expandCase,
  slice: sliceCase,
  pad: padCase,
  concat: concatCase,
  matmul: matmulCase,
  gather: gatherCase,
  scatter: scatterCase,

  softplus: unary('softplus', ag.softplus, softplusRef, smoothRange),
  logsigmoid: unary('logsigmoid', ag.logsigmoid, (v) => -softplusRef(-v), smoothRange),
  sigmoid: unary('sigmoid', ag.sigmoid, sigmoidRef, smoothRange),
  logsumexp: logsumexpCase,
  logSoftmax: axisCase('logSoftmax', ag.logSoftmax, (row) => row.map((v) => v - logSumExpRow(row))),
  softmax: axisCase('softmax', ag.softmax, (row) => row.map((v) => Math.exp(v) / row.reduce((s, u) => s + Math.exp(u), 0))),
  gelu: unary('gelu', ag.gelu, (v) => 0.5 * v * (1 + Math.tanh(GELU_C * (v + 0.044715 * v ** 3))), wide),
  layerNorm: { ...layerNormCase, values: { atol: 1e-10, rtol: 1e-10 } },
  crossEntropy: crossEntropyCase,
  dropout: dropoutCase,
  mseLoss: mseLossCase,
};
