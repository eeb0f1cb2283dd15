/** Shape primitives: reshape, permute, expand, slice and its adjoint pad, concat; and what composes from them. */
import { getBackend } from '../backend/registry.js';
import { apply, type Rule } from '../engine.js';
import { formatShape, normalizeAxis, shapesEqual, sizeOf, type Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { sumToShape } from './reduce.js';

export interface SliceAttrs {
  starts: readonly number[];
  ends: readonly number[];
}

export interface PadAttrs {
  starts: readonly number[];
  shape: Shape;
}

export const shapeRules = {
  // Reshape moves no data: the gradient is reshaped back.
  reshape: {
    name: 'reshape',
    forward: ([x], { shape }) => ({ data: x!.data, shape }),
    backward: (g, { inputs: [x] }) => [reshape(g, x!.shape)],
  } satisfies Rule<{ shape: Shape }>,
  // permute: the gradient is permuted by the inverse permutation.
  permute: {
    name: 'permute',
    forward: ([x], { perm }) => ({ data: getBackend().permute(x!.data, x!.shape, perm), shape: perm.map((p) => x!.shape[p]!) }),
    backward: (g, { attrs: { perm } }) => {
      const inverse = new Array<number>(perm.length);
      perm.forEach((p, i) => (inverse[p] = i));
      return [permute(g, inverse)];
    },
  } satisfies Rule<{ perm: readonly number[] }>,
  // expand (broadcast): the gradient is summed over the broadcast dimensions.
  expand: {
    name: 'expand',
    forward: ([x], { shape }) => ({ data: getBackend().expand(x!.data, x!.shape, shape), shape }),
    backward: (g, { inputs: [x] }) => [sumToShape(g, x!.shape)],
  } satisfies Rule<{ shape: Shape }>,
  // slice: the gradient is padded with zeros back into the input's shape.
  slice: {
    name: 'slice',
    forward: ([x], { starts, ends }) => {
      const shape = starts.map((s, i) => ends[i]! - s);
      return { data: getBackend().slice(x!.data, x!.shape, starts, shape), shape };
    },
    backward: (g, { inputs: [x], attrs: { starts } }) => [pad(g, starts, x!.shape)],
  } satisfies Rule<SliceAttrs>,
  // pad (the adjoint of slice): the gradient is the slice of the upstream gradient.
  pad: {
    name: 'pad',
    forward: ([x], { starts, shape }) => ({ data: getBackend().pad(x!.data, x!.shape, starts, shape), shape }),
    backward: (g, { inputs: [x], attrs: { starts } }) => [
      slice(
        g,
        x!.shape.map((d, i) => [starts[i]!, starts[i]! + d] as const),
      ),
    ],
  } satisfies Rule<PadAttrs>,
  // concat: each input's gradient is its slice of the upstream gradient.
  concat: {
    name: 'concat',
    forward: (xs, { axis }) => {
      const shape = [...xs[0]!.shape];
      shape[axis] = xs.reduce((n, t) => n + t.shape[axis]!, 0);
      const data = getBackend().concat(
        xs.map((t) => t.data),
        xs.map((t) => t.shape),
        axis,
        shape,
      );
      return { data, shape };
    },
    backward: (g, { inputs, attrs: { axis } }) => {
      let offset = 0;
      return inputs.map((t) => {
        const start = offset;
        offset += t.shape[axis]!;
        if (!t.requiresGrad) return null;
        return slice(
          g,
          t.shape.map((d, i) => (i === axis ? [start, start + d] : [0, d]) as SliceRange),
        );
      });
    },
  } satisfies Rule<{ axis: number }>,
} as const;

/** A view with a new shape of the same size; one dimension may be -1 (inferred). */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const inferred = [...shape];
  const unknown = inferred.indexOf(-1);
  if (unknown !== inferred.lastIndexOf(-1)) throw new Error(`reshape: only one dimension can be -1, got ${formatShape(shape)}`);
  if (unknown >= 0) {
    const known = inferred.reduce((n, d, i) => (i === unknown ? n : n * d), 1);
    if (known === 0 || x.size % known !== 0) {
      throw new Error(`reshape: cannot reshape ${formatShape(x.shape)} (${x.size} elements) to ${formatShape(shape)}`);
    }
    inferred[unknown] = x.size / known;
  }
  for (const d of inferred) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`reshape: invalid target shape ${formatShape(shape)}`);
  }
  if (sizeOf(inferred) !== x.size) {
    throw new Error(`reshape: cannot reshape ${formatShape(x.shape)} (${x.size} elements) to ${formatShape(shape)}`);
  }
  if (shapesEqual(inferred, x.shape)) return x;
  return apply(shapeRules.reshape, [x], { shape: inferred });
}

/** Reorders dimensions: output dimension i is input dimension perm[i]. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const norm = perm.map((p) => normalizeAxis('permute', p, x.ndim));
  if (norm.length !== x.ndim || new Set(norm).size !== x.ndim) {
    throw new Error(`permute: [${perm.join(',')}] is not a permutation of the ${x.ndim} dimensions of ${formatShape(x.shape)}`);
  }
  if (norm.every((p, i) => p === i)) return x;
  return apply(shapeRules.permute, [x], { perm: norm });
}

/** Swaps two dimensions (the last two by default). */
export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  const a = normalizeAxis('transpose', dim0, x.ndim);
  const b = normalizeAxis('transpose', dim1, x.ndim);
  const perm = Array.from({ length: x.ndim }, (_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

/** Broadcasts x to `shape` (NumPy rules: size-1 dims repeat, missing leading dims are added). */
export function expand(x: Tensor, shape: Shape): Tensor {
  const lead = shape.length - x.ndim;
  const ok = lead >= 0 && x.shape.every((d, i) => d === shape[lead + i] || d === 1);
  if (!ok) throw new Error(`expand: cannot expand ${formatShape(x.shape)} to ${formatShape(shape)}`);
  if (shapesEqual(x.shape, shape)) return x;
  return apply(shapeRules.expand, [x], { shape: [...shape] });
}

/** Broadcasts x to the shape of `like`. */
export function expandAs(x: Tensor, like: Tensor): Tensor {
  return expand(x, like.shape);
}

export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normalizeAxis('unsqueeze', axis, x.ndim + 1);
  const shape = [...x.shape];
  shape.splice(a, 0, 1);
  return reshape(x, shape);
}

/** Removes size-1 dimensions: the given one, or all. */
export function squeeze(x: Tensor, axis?: number): Tensor {
  if (axis === undefined)
    return reshape(
      x,
      x.shape.filter((d) => d !== 1),
    );
  const a = normalizeAxis('squeeze', axis, x.ndim);
  if (x.shape[a] !== 1) throw new Error(`squeeze: dimension ${axis} of ${formatShape(x.shape)} has size ${x.shape[a]}, not 1`);
  return reshape(
    x,
    x.shape.filter((_, i) => i !== a),
  );
}

/** Flattens dimensions start..end (inclusive) into one. */
export function flatten(x: Tensor, start = 0, end = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normalizeAxis('flatten', start, x.ndim);
  const e = normalizeAxis('flatten', end, x.ndim);
  if (e < s) throw new Error(`flatten: end dimension ${end} comes before start ${start}`);
  const merged = x.shape.slice(s, e + 1).reduce((n, d) => n * d, 1);
  return reshape(x, [...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]);
}

/** A range per dimension: [start, end) with negative indices counted from the end, or null for all. */
export type SliceRange = readonly [number, number] | null | undefined;

/** A contiguous box of x: `ranges[i]` selects [start, end) along dimension i (missing or null: all of it). */
export function slice(x: Tensor, ranges: readonly SliceRange[]): Tensor {
  if (ranges.length > x.ndim) throw new Error(`slice: ${ranges.length} ranges for a tensor of rank ${x.ndim} ${formatShape(x.shape)}`);
  const starts: number[] = [];
  const ends: number[] = [];
  for (let i = 0; i < x.ndim; i++) {
    const d = x.shape[i]!;
    const r = ranges[i];
    let [s, e] = r ?? [0, d];
    if (s < 0) s += d;
    if (e < 0) e += d;
    if (!Number.isInteger(s) || !Number.isInteger(e) || s < 0 || e > d || s > e) {
      throw new Error(`slice: range [${r?.[0]}, ${r?.[1]}) is out of bounds for dimension ${i} of ${formatShape(x.shape)}`);
    }
    starts.push(s);
    ends.push(e);
  }
  if (starts.every((s, i) => s === 0 && ends[i] === x.shape[i])) return x;
  return apply(shapeRules.slice, [x], { starts, ends });
}

/** `length` entries of dimension `axis` from `start` (PyTorch's narrow). */
export function narrow(x: Tensor, axis: number, start: number, length: number): Tensor {
  const a = normalizeAxis('narrow', axis, x.ndim);
  return slice(
    x,
    x.shape.map((d, i) => (i === a ? [start, start + length] : [0, d]) as SliceRange),
  );
}

/** Places x into zeros of `shape` at offsets `starts` (the adjoint of slice). */
export function pad(x: Tensor, starts: readonly number[], shape: Shape): Tensor {
  const fits =
    starts.length === x.ndim && shape.length === x.ndim && x.shape.every((d, i) => starts[i]! >= 0 && starts[i]! + d <= shape[i]!);
  if (!fits) throw new Error(`pad: ${formatShape(x.shape)} at offsets [${starts.join(',')}] does not fit in ${formatShape(shape)}`);
  if (shapesEqual(x.shape, shape)) return x;
  return apply(shapeRules.pad, [x], { starts: [...starts], shape: [...shape] });
}

/** Joins tensors along an existing dimension; all other dimensions must match. */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new Error('concat: needs at least one tensor');
  const first = tensors[0]!;
  const a = normalizeAxis('concat', axis, first.ndim);
  for (const t of tensors) {
    const ok = t.ndim === first.ndim && t.shape.every((d, i) => i === a || d === first.shape[i]);
    if (!ok) {
      throw new Error(`concat: cannot join ${formatShape(first.shape)} and ${formatShape(t.shape)} along dimension ${axis}`);
    }
  }
  if (tensors.length === 1) return first;
  return apply(shapeRules.concat, tensors, { axis: a });
}

/** Joins tensors of equal shape along a new dimension. */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new Error('stack: needs at least one tensor');
  const first = tensors[0]!;
  for (const t of tensors) {
    if (!shapesEqual(t.shape, first.shape))
      throw new Error(`stack: shapes differ: ${formatShape(first.shape)} and ${formatShape(t.shape)}`);
  }
  const a = normalizeAxis('stack', axis, first.ndim + 1);
  return concat(
    tensors.map((t) => unsqueeze(t, a)),
    a,
  );
}
