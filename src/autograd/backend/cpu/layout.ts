/**
 * The data-movement and selection kernels of the cpu reference: copies through an offsets table, one element
 * at a time. The tuned backend uses them as they are (they move data, no arithmetic to tune; a training step
 * spends its time in matmul, the elementwise maps and the row kernels).
 */
import { allocate, dtypeOf, fromValues, type DType, type TypedArray } from '../../dtype.js';
import { sizeOf, stridesOf, type Shape } from '../../shape.js';
import { broadcastOffsets, stridedOffsets } from './strided.js';

/** Reorders dimensions: output dimension i is input dimension perm[i]. */
export function permute(x: TypedArray, shape: Shape, perm: readonly number[]): TypedArray {
  const strides = stridesOf(shape);
  const offsets = stridedOffsets(
    perm.map((p) => shape[p]!),
    perm.map((p) => strides[p]!),
  );
  const out = allocate(dtypeOf(x), x.length);
  for (let i = 0; i < offsets.length; i++) out[i] = x[offsets[i]!]!;
  return out;
}

export function expand(x: TypedArray, shape: Shape, outShape: Shape): TypedArray {
  const out = allocate(dtypeOf(x), sizeOf(outShape));
  const offsets = broadcastOffsets(shape, outShape);
  for (let i = 0; i < out.length; i++) out[i] = x[offsets[i]!]!;
  return out;
}

/** The offset in an array of shape `big` of every element of the box of shape `box` at `starts`. */
function boxOffsets(big: Shape, box: Shape, starts: readonly number[]): Int32Array {
  const strides = stridesOf(big);
  let base = 0;
  for (let i = 0; i < box.length; i++) base += starts[i]! * strides[i]!;
  return stridedOffsets(box, strides, base);
}

export function slice(x: TypedArray, shape: Shape, starts: readonly number[], outShape: Shape): TypedArray {
  const out = allocate(dtypeOf(x), sizeOf(outShape));
  const offsets = boxOffsets(shape, outShape, starts);
  for (let i = 0; i < offsets.length; i++) out[i] = x[offsets[i]!]!;
  return out;
}

export function pad(x: TypedArray, shape: Shape, starts: readonly number[], outShape: Shape): TypedArray {
  const out = allocate(dtypeOf(x), sizeOf(outShape));
  const offsets = boxOffsets(outShape, shape, starts);
  for (let i = 0; i < offsets.length; i++) out[offsets[i]!] = x[i]!;
  return out;
}

export function concat(xs: readonly TypedArray[], shapes: readonly Shape[], axis: number, outShape: Shape): TypedArray {
  const out = allocate(dtypeOf(xs[0]!), sizeOf(outShape));
  const starts = new Array<number>(outShape.length).fill(0);
  xs.forEach((x, k) => {
    const shape = shapes[k]!;
    const offsets = boxOffsets(outShape, shape, starts);
    for (let i = 0; i < offsets.length; i++) out[offsets[i]!] = x[i]!;
    starts[axis]! += shape[axis]!;
  });
  return out;
}

export function where(
  c: TypedArray,
  cShape: Shape,
  a: TypedArray,
  aShape: Shape,
  b: TypedArray,
  bShape: Shape,
  outShape: Shape,
): TypedArray {
  const n = sizeOf(outShape);
  const out = allocate(dtypeOf(a), n);
  const co = broadcastOffsets(cShape, outShape);
  const ao = broadcastOffsets(aShape, outShape);
  const bo = broadcastOffsets(bShape, outShape);
  for (let i = 0; i < n; i++) out[i] = c[co[i]!]! !== 0 ? a[ao[i]!]! : b[bo[i]!]!;
  return out;
}

export function cast(x: TypedArray, dtype: DType): TypedArray {
  return fromValues(dtype, x);
}

export function argmax(x: TypedArray, outer: number, dim: number, inner: number): TypedArray {
  const out = allocate(dtypeOf(x), outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let best = 0;
      let bestValue = x[o * dim * inner + i]!;
      for (let d = 1; d < dim; d++) {
        const v = x[(o * dim + d) * inner + i]!;
        if (v > bestValue) {
          best = d;
          bestValue = v;
        }
      }
      out[o * inner + i] = best;
    }
  }
  return out;
}

export function gather(
  x: TypedArray,
  outer: number,
  dim: number,
  inner: number,
  indices: ArrayLike<number>,
  count: number,
  elementwise: boolean,
): TypedArray {
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

export function scatterAdd(
  src: TypedArray,
  outer: number,
  dim: number,
  inner: number,
  indices: ArrayLike<number>,
  count: number,
  elementwise: boolean,
): TypedArray {
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
