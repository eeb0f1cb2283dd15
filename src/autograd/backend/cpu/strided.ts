/** Index maps of row-major arrays: broadcast offsets (cached), strided walks, broadcast patterns, reduction blocks. */
import { broadcastStrides, sizeOf, stridesOf, type Shape } from '../../shape.js';

/**
 * For each element of a row-major array of shape `outShape`, the flat offset into an operand of shape
 * `inShape` broadcast to it. Built once per shape pair and cached (a training step asks for the same few
 * pairs thousands of times): callers must treat the returned array as read-only.
 */
export function broadcastOffsets(inShape: Shape, outShape: Shape): Int32Array {
  return cachedOffsets(`b|${inShape.join(',')}|${outShape.join(',')}`, sizeOf(outShape), () =>
    stridedOffsets(outShape, broadcastStrides(inShape, outShape)),
  );
}

/**
 * permute's plan: the trailing axes the permutation leaves in place move as contiguous runs of `run` elements
 * (for attention's head split, whole head vectors), and `starts` holds each run's offset in the input, from
 * walking the other axes. The starts are cached as broadcastOffsets' are (read-only).
 */
export function permuteRuns(shape: Shape, perm: readonly number[]): { starts: Int32Array; run: number } {
  let kept = shape.length;
  while (kept > 0 && perm[kept - 1] === kept - 1) kept--;
  const run = sizeOf(shape.slice(kept));
  const outer = perm.slice(0, kept);
  const starts = cachedOffsets(`p|${shape.join(',')}|${perm.join(',')}`, sizeOf(shape) / Math.max(run, 1), () => {
    const inStrides = stridesOf(shape);
    return stridedOffsets(
      outer.map((p) => shape[p]!),
      outer.map((p) => inStrides[p]!),
    );
  });
  return { starts, run };
}

// At most 64 index maps of at most 256k offsets: 64 MB in the worst case, a few hundred kB in a GPT step.
const MAX_CACHED_MAPS = 64;
const MAX_CACHED_ELEMENTS = 1 << 18;
const cache = new Map<string, Int32Array>();

/** `build()`, an index map of `n` offsets, cached under `key` when it is small enough (least recently used out). */
function cachedOffsets(key: string, n: number, build: () => Int32Array): Int32Array {
  if (n > MAX_CACHED_ELEMENTS) return build();
  const hit = cache.get(key);
  if (hit) {
    // Map order is recency order: a hit moves to the end, eviction takes the first.
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const offsets = build();
  cache.set(key, offsets);
  if (cache.size > MAX_CACHED_MAPS) cache.delete(cache.keys().next().value!);
  return offsets;
}

/**
 * The flat offset of every element of a row-major walk over `shape`, reading memory with `strides` from `base`:
 * the one odometer behind broadcasting (stride 0 on broadcast axes), permutes and boxes of a larger array.
 */
export function stridedOffsets(shape: Shape, strides: readonly number[], base = 0): Int32Array {
  const n = sizeOf(shape);
  const offsets = new Int32Array(n);
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  let offset = base;
  for (let i = 0; i < n; i++) {
    offsets[i] = offset;
    // Increment the multi-index, carrying from the last axis.
    for (let ax = rank - 1; ax >= 0; ax--) {
      index[ax]!++;
      offset += strides[ax]!;
      if (index[ax]! < shape[ax]!) break;
      offset -= strides[ax]! * shape[ax]!;
      index[ax] = 0;
    }
  }
  return offsets;
}

/**
 * How an operand of shape `inShape` is read when broadcast to `outShape`, for the common patterns that need
 * no offsets table. With the output viewed as [outer, inner] (inner the given `inner`), element (o, i) reads
 * the operand at o * outerStride + i * innerStride:
 * - 'same' (same size): strides (inner, 1);  'scalar' (one element): (0, 0);
 * - 'tile' (the operand is the output's trailing dims, e.g. a bias [C] added to [N, C]): period = operand
 *   size, strides (0, 1) when inner = period;
 * - 'repeat' (the operand is the output's leading dims with trailing 1s, e.g. a row statistic [N, 1]):
 *   inner = output size / operand size, strides (1, 0).
 * Anything else (a broadcast in the middle) is 'general' and reads through `broadcastOffsets`.
 */
export type BroadcastPattern =
  | { kind: 'same' }
  | { kind: 'scalar' }
  | { kind: 'tile'; inner: number }
  | { kind: 'repeat'; inner: number }
  | { kind: 'general' };

export function broadcastPattern(inShape: Shape, outShape: Shape): BroadcastPattern {
  const size = sizeOf(inShape);
  const total = sizeOf(outShape);
  if (size === total) return { kind: 'same' };
  if (size === 1) return { kind: 'scalar' };
  const lead = outShape.length - inShape.length;
  const dim = (i: number): number => (i < lead ? 1 : inShape[i - lead]!);
  // tile: 1s (or missing dims) up to some axis, then exactly the output's dims.
  let k = outShape.length;
  while (k > 0 && dim(k - 1) === outShape[k - 1]) k--;
  let ones = true;
  for (let i = 0; i < k; i++) if (dim(i) !== 1) ones = false;
  if (ones) return { kind: 'tile', inner: size };
  // repeat: exactly the output's dims up to some axis, then 1s.
  let r = 0;
  while (r < outShape.length && dim(r) === outShape[r]) r++;
  ones = true;
  for (let i = r; i < outShape.length; i++) if (dim(i) !== 1) ones = false;
  if (ones) return { kind: 'repeat', inner: total / size };
  return { kind: 'general' };
}

/**
 * Strides (outer, inner) of an operand read in the [outer, inner] view of the output, or null when its pattern
 * does not fit that view (then it reads through offsets). Shared by the cpu and wasm backends' binary kernels.
 */
export function viewStrides(p: BroadcastPattern, inner: number): [number, number] | null {
  switch (p.kind) {
    case 'same':
      return [inner, 1];
    case 'scalar':
      return [0, 0];
    case 'tile':
      return p.inner === inner ? [0, 1] : null;
    case 'repeat':
      return p.inner === inner ? [1, 0] : null;
    default:
      return null;
  }
}

/**
 * The reduced axes as one block [outer, red, inner] when they are adjacent (a reduction over them is then
 * plain strided loops), else null.
 */
export function reductionBlock(shape: Shape, axes: readonly number[]): [number, number, number] | null {
  if (axes.length === 0) return [sizeOf(shape), 1, 1];
  const first = axes[0]!;
  const last = axes[axes.length - 1]!;
  if (last - first + 1 !== axes.length) return null;
  return [sizeOf(shape.slice(0, first)), sizeOf(shape.slice(first, last + 1)), sizeOf(shape.slice(last + 1))];
}
