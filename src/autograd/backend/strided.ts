import { broadcastStrides, sizeOf, type Shape } from '../shape.js';

/**
 * For each element of a row-major array of shape `outShape`, the flat offset into an operand of shape
 * `inShape` broadcast to it. Cached per shape pair would be a later optimisation; this stays simple.
 */
export function broadcastOffsets(inShape: Shape, outShape: Shape): Int32Array {
  const n = sizeOf(outShape);
  const offsets = new Int32Array(n);
  const strides = broadcastStrides(inShape, outShape);
  const rank = outShape.length;
  if (rank === 0) return offsets;
  const index = new Array<number>(rank).fill(0);
  let offset = 0;
  for (let i = 0; i < n; i++) {
    offsets[i] = offset;
    // Increment the multi-index, carrying from the last axis.
    for (let ax = rank - 1; ax >= 0; ax--) {
      index[ax]!++;
      offset += strides[ax]!;
      if (index[ax]! < outShape[ax]!) break;
      offset -= strides[ax]! * outShape[ax]!;
      index[ax] = 0;
    }
  }
  return offsets;
}
