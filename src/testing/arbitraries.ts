/**
 * fast-check arbitraries for the autograd tests: shapes (ranks 0-4, dims 1-4 with size-1 and odd sizes),
 * broadcastable shape pairs, and tensor values drawn from a grid in a range (never raw fc.double), optionally
 * kept away from kinks (relu and abs at 0) or made pairwise distinct (no ties in max/min/maximum).
 *
 * Arbitraries produce plain data (`TensorSpec`); tests build fresh tensors from it with `toTensor`, so a
 * shrunk or replayed case never sees a tensor mutated by an earlier run.
 */
import fc from 'fast-check';
import { tensor, type DType, type Tensor } from '../autograd/index.js';

/** gradcheck's finite-difference step; kinks are kept at least 10 of these away (we use 100). */
export const FD_EPS = 1e-6;
export const KINK_MARGIN = 100 * FD_EPS;

export interface ShapeOptions {
  minRank?: number;
  maxRank?: number;
  minDim?: number;
  maxDim?: number;
  /** Upper bound on the number of elements, to keep full-Jacobian gradchecks cheap. */
  maxSize?: number;
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((n, d) => n * d, 1);

/** Shapes of rank minRank..maxRank (default 0..4) with dims minDim..maxDim (default 1..4). */
export function shapeArb(options: ShapeOptions = {}): fc.Arbitrary<number[]> {
  const { minRank = 0, maxRank = 4, minDim = 1, maxDim = 4, maxSize = 24 } = options;
  // The rank is drawn without fast-check's bias towards small values, so rank 3-4 shapes are common.
  return fc
    .noBias(fc.integer({ min: minRank, max: maxRank }))
    .chain((rank) => fc.array(fc.integer({ min: minDim, max: maxDim }), { minLength: rank, maxLength: rank }))
    .filter((s) => sizeOf(s) <= maxSize);
}

/**
 * A shape that broadcasts to `target`: usually all of it, sometimes with leading dims dropped, and each
 * remaining dim set to 1 with probability 1/3 (so pairs broadcast on some axes, not on every one).
 */
export function broadcastableTo(target: readonly number[]): fc.Arbitrary<number[]> {
  const n = target.length;
  return fc
    .tuple(
      fc.oneof({ arbitrary: fc.constant(0), weight: 2 }, { arbitrary: fc.integer({ min: 0, max: n }), weight: 1 }),
      fc.array(fc.noBias(fc.integer({ min: 0, max: 2 })), { minLength: n, maxLength: n }),
    )
    .map(([drop, ones]) => target.slice(drop).map((d, i) => (ones[i + drop] === 0 ? 1 : d)));
}

/** Two shapes that broadcast together (each derived from a common result shape); the result comes third. */
export function broadcastPairArb(options: ShapeOptions = {}): fc.Arbitrary<[number[], number[], number[]]> {
  return shapeArb(options).chain((out) =>
    fc.tuple(broadcastableTo(out), broadcastableTo(out)).map(([a, b]): [number[], number[], number[]] => {
      // The derived shapes may both have dropped a dim the result kept: recompute the true result.
      return [a, b, broadcastResult(a, b)];
    }),
  );
}

/** NumPy's broadcast result shape (for shapes known to broadcast). */
export function broadcastResult(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, i) => {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    return da === 1 ? db : da;
  });
}

export interface ValueRange {
  low?: number;
  high?: number;
  /** Grid points across [low, high]; values are low + (high - low) k / steps. */
  steps?: number;
  /** Points where the op has a kink; values closer than KINK_MARGIN are pushed to KINK_MARGIN away. */
  avoid?: readonly number[];
}

/** One value from a grid in [low, high] (default [-2, 2] in 1024 steps), away from the given kinks. */
export function valueArb(range: ValueRange = {}): fc.Arbitrary<number> {
  const { low = -2, high = 2, steps = 1024, avoid = [] } = range;
  return fc.integer({ min: 0, max: steps }).map((k) => {
    let v = low + ((high - low) * k) / steps;
    for (const kink of avoid) if (Math.abs(v - kink) < KINK_MARGIN) v = v >= kink ? kink + KINK_MARGIN : kink - KINK_MARGIN;
    return v;
  });
}

/** Values in [low, high] that are positive only: for log, sqrt and pow bases (default [0.25, 3]). */
export const POSITIVE: ValueRange = { low: 0.25, high: 3 };

/** `n` values from the grid, pairwise distinct (grid step apart, so no ties within 10 eps). */
export function distinctValuesArb(n: number, range: ValueRange = {}): fc.Arbitrary<number[]> {
  const { low = -2, high = 2, steps = 1024 } = range;
  return fc
    .uniqueArray(fc.integer({ min: 0, max: steps }), { minLength: n, maxLength: n })
    .map((ks) => ks.map((k) => low + ((high - low) * k) / steps));
}

export function valuesArb(n: number, range: ValueRange = {}): fc.Arbitrary<number[]> {
  return fc.array(valueArb(range), { minLength: n, maxLength: n });
}

/** Plain data for one tensor input. */
export interface TensorSpec {
  shape: number[];
  values: number[];
  requiresGrad: boolean;
}

export function spec(shape: readonly number[], values: readonly number[], requiresGrad = true): TensorSpec {
  return { shape: [...shape], values: [...values], requiresGrad };
}

export function tensorSpecArb(shape: readonly number[], range: ValueRange = {}, requiresGrad = true): fc.Arbitrary<TensorSpec> {
  return valuesArb(sizeOf(shape), range).map((values) => spec(shape, values, requiresGrad));
}

/** Specs for several shapes whose values are all distinct from one another (for maximum/minimum). */
export function distinctSpecsArb(shapes: readonly (readonly number[])[], range: ValueRange = {}): fc.Arbitrary<TensorSpec[]> {
  const total = shapes.reduce((n, s) => n + sizeOf(s), 0);
  return distinctValuesArb(total, range).map((values) => {
    let offset = 0;
    return shapes.map((s) => {
      const part = values.slice(offset, offset + sizeOf(s));
      offset += sizeOf(s);
      return spec(s, part);
    });
  });
}

/** A fresh tensor from a spec (float64 unless asked otherwise). */
export function toTensor(s: TensorSpec, dtype: DType = 'float64'): Tensor {
  return tensor(Float64Array.from(s.values), { shape: s.shape, dtype, requiresGrad: s.requiresGrad });
}

/** An axis of a tensor of rank `rank` >= 1, negative half the time. */
export function axisArb(rank: number): fc.Arbitrary<number> {
  return fc.integer({ min: -rank, max: rank - 1 });
}

/** A subset of the axes 0..rank-1 (possibly all, possibly none), in random order. */
export function axesArb(rank: number): fc.Arbitrary<number[]> {
  return fc.shuffledSubarray(Array.from({ length: rank }, (_, i) => i));
}

/** A permutation of 0..rank-1. */
export function permutationArb(rank: number): fc.Arbitrary<number[]> {
  return fc.shuffledSubarray(
    Array.from({ length: rank }, (_, i) => i),
    { minLength: rank, maxLength: rank },
  );
}
