/**
 * Token-id batches as the model accepts them: rows of integer ids (number[][] or Int32Array[]) or a [B, T]
 * tensor holding integers; and 0/1 masks of the same shapes. Both are normalised to flat arrays here, so the
 * model code sees one representation.
 */
import { Tensor } from '../autograd/index.js';

/** Token ids [B, T]: rows of ids, or a 2-d tensor of integer values. */
export type TokenBatch = Tensor | readonly ArrayLike<number>[];

/** A 0/1 mask [B, T] (1 = keep): rows of numbers or booleans, or a 2-d tensor. */
export type MaskBatch = Tensor | readonly ArrayLike<number | boolean>[];

export interface TokenMatrix {
  /** Row-major ids, length batch * length. */
  ids: Int32Array;
  batch: number;
  length: number;
}

function rowsOf<T>(what: string, value: Tensor | readonly ArrayLike<T>[]): { flat: ArrayLike<number | T>; batch: number; length: number } {
  if (value instanceof Tensor) {
    if (value.ndim !== 2) throw new Error(`${what}: expected a 2-d [batch, length] tensor, got shape [${value.shape.join(', ')}]`);
    return { flat: value.data, batch: value.shape[0]!, length: value.shape[1]! };
  }
  const batch = value.length;
  const length = value[0]?.length ?? 0;
  const flat: T[] = [];
  value.forEach((row, b) => {
    if (row.length !== length) throw new Error(`${what}: row ${b} has length ${row.length}, row 0 has ${length} (pad the batch first)`);
    for (let t = 0; t < row.length; t++) flat.push(row[t]!);
  });
  return { flat, batch, length };
}

/** Validates ids (integers in [0, vocabSize)) and flattens them. */
export function toTokenMatrix(ids: TokenBatch, vocabSize: number, what = 'ids'): TokenMatrix {
  const { flat, batch, length } = rowsOf(what, ids);
  const out = new Int32Array(batch * length);
  for (let i = 0; i < out.length; i++) {
    const v = Number(flat[i]);
    if (!Number.isInteger(v) || v < 0 || v >= vocabSize) {
      throw new Error(`${what}: token ${v} at [${Math.floor(i / length)}, ${i % length}] is not an id in [0, ${vocabSize})`);
    }
    out[i] = v;
  }
  return { ids: out, batch, length };
}

/** Validates a 0/1 mask of shape [batch, length] and flattens it. */
export function toMask(mask: MaskBatch, batch: number, length: number, what = 'mask'): Uint8Array {
  const rows = rowsOf<number | boolean>(what, mask);
  if (rows.batch !== batch || rows.length !== length) {
    throw new Error(`${what}: shape [${rows.batch}, ${rows.length}] does not match the ids [${batch}, ${length}]`);
  }
  const out = new Uint8Array(batch * length);
  for (let i = 0; i < out.length; i++) {
    const v = Number(rows.flat[i]);
    if (v !== 0 && v !== 1) throw new Error(`${what}: value ${String(rows.flat[i])} at flat index ${i} is not 0 or 1`);
    out[i] = v;
  }
  return out;
}
