/** Index primitives: gather (with index_select / embedding lookup as its shared-index form) and scatter-add. */
import { getBackend } from '../backend/registry.js';
import { allocate, type DType } from '../dtype.js';
import { apply, type Rule } from '../engine.js';
import { formatShape, normalizeAxis, sizeOf, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { add } from './elementwise.js';
import { reshape } from './shape.js';

/** Integer indices: a tensor holding integer values, a typed integer array, or a plain array. */
export type Indices = Tensor | Int32Array | readonly number[];

export interface IndexAttrs {
  axis: number;
  /** The indices, validated and flattened. */
  index: Int32Array;
  /** Their shape: the output's shape for gather; [count] for index_select. */
  indexShape: Shape;
  /** Whether every output element has its own index (gather) or one list serves all (index_select). */
  elementwise: boolean;
}

export interface ScatterAttrs extends IndexAttrs {
  /** The shape of the result (the shape the source is scattered into). */
  shape: Shape;
}

function view(shape: Shape, axis: number): [number, number, number] {
  return [sizeOf(shape.slice(0, axis)), shape[axis]!, sizeOf(shape.slice(axis + 1))];
}

// gather: out[..., i, ...] = x[..., index[..., i, ...], ...]; d = scatter-add of g into zeros of x's shape.
const gatherRule: Rule<IndexAttrs> = {
  name: 'gather',
  forward: ([x], { axis, index, indexShape, elementwise }) => {
    const [outer, dim, inner] = view(x!.shape, axis);
    const count = elementwise ? indexShape[axis]! : index.length;
    const shape = elementwise ? [...indexShape] : [...x!.shape.slice(0, axis), index.length, ...x!.shape.slice(axis + 1)];
    return { data: getBackend().gather(x!.data, outer, dim, inner, index, count, elementwise), shape };
  },
  backward: (g, { inputs: [x], attrs }) => [apply(scatterRule, [g], { ...attrs, shape: x!.shape })],
};

// scatter (into zeros): the adjoint of gather; d = gather of g at the same indices.
const scatterRule: Rule<ScatterAttrs> = {
  name: 'scatterAdd',
  forward: ([src], { axis, index, indexShape, elementwise, shape }) => {
    const [outer, dim, inner] = view(shape, axis);
    const count = elementwise ? indexShape[axis]! : index.length;
    return { data: getBackend().scatterAdd(src!.data, outer, dim, inner, index, count, elementwise), shape: [...shape] };
  },
  backward: (g, { attrs: { axis, index, indexShape, elementwise } }) => [apply(gatherRule, [g], { axis, index, indexShape, elementwise })],
};

export const indexingRules = { gather: gatherRule, scatter: scatterRule } as const;

/** Validates indices against a dimension of size `dim` and returns them as Int32Array with their shape. */
function toIndexArray(op: string, indices: Indices, dim: number): { index: Int32Array; shape: number[] } {
  const values = indices instanceof Tensor ? indices.data : indices;
  const shape = indices instanceof Tensor ? [...indices.shape] : [values.length];
  const index = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < -dim || v >= dim) {
      throw new Error(`${op}: index ${v} at position ${i} is out of range for a dimension of size ${dim}`);
    }
    index[i] = v < 0 ? v + dim : v;
  }
  return { index, shape };
}

/**
 * Selects entries of x along `axis` (PyTorch's index_select); with a tensor of indices of any shape the
 * selected axis is replaced by the indices' shape, so `indexSelect(table, 0, ids)` is an embedding lookup.
 */
export function indexSelect(x: Tensor, axis: number, indices: Indices): Tensor {
  const a = normalizeAxis('indexSelect', axis, x.ndim);
  const { index, shape } = toIndexArray('indexSelect', indices, x.shape[a]!);
  const out = apply(indexingRules.gather, [x], { axis: a, index, indexShape: [index.length], elementwise: false });
  if (shape.length === 1) return out;
  return reshape(out, [...x.shape.slice(0, a), ...shape, ...x.shape.slice(a + 1)]);
}

/** An embedding lookup: rows of `table` [vocab, dim] for integer ids of any shape; result ids.shape + [dim]. */
export function embedding(table: Tensor, ids: Indices): Tensor {
  if (table.ndim !== 2) throw new Error(`embedding: the table must be 2-d [vocab, dim], got ${formatShape(table.shape)}`);
  return indexSelect(table, 0, ids);
}

function checkIndexShape(op: string, x: Shape, index: Shape, axis: number): void {
  const ok = index.length === x.length && index.every((d, i) => i === axis || d === x[i]);
  if (!ok) {
    throw new Error(`${op}: index of shape ${formatShape(index)} must match ${formatShape(x)} in every dimension but ${axis}`);
  }
}

/** out[i][j] = x[i][index[i][j]] along axis 1 (any rank/axis): PyTorch's gather with a same-rank index. */
export function gather(x: Tensor, axis: number, index: Tensor): Tensor {
  const a = normalizeAxis('gather', axis, x.ndim);
  checkIndexShape('gather', x.shape, index.shape, a);
  const { index: flat } = toIndexArray('gather', index, x.shape[a]!);
  return apply(indexingRules.gather, [x], { axis: a, index: flat, indexShape: [...index.shape], elementwise: true });
}

/** x with src added at the given indices along `axis` (PyTorch's scatter_add, out of place). */
export function scatterAdd(x: Tensor, axis: number, index: Tensor, src: Tensor): Tensor {
  const a = normalizeAxis('scatterAdd', axis, x.ndim);
  checkIndexShape('scatterAdd', x.shape, index.shape, a);
  if (src.shape.length !== index.shape.length || src.shape.some((d, i) => d !== index.shape[i])) {
    throw new Error(`scatterAdd: src of shape ${formatShape(src.shape)} must have the index's shape ${formatShape(index.shape)}`);
  }
  const { index: flat } = toIndexArray('scatterAdd', index, x.shape[a]!);
  const scattered = apply(indexingRules.scatter, [src], {
    axis: a,
    index: flat,
    indexShape: [...index.shape],
    elementwise: true,
    shape: x.shape,
  });
  return add(x, scattered);
}

/** One-hot rows for integer indices: shape indices.shape + [numClasses] (no gradient). */
export function oneHot(indices: Indices, numClasses: number, dtype: DType = 'float32'): Tensor {
  const { index, shape } = toIndexArray('oneHot', indices, numClasses);
  const data = allocate(dtype, index.length * numClasses);
  for (let i = 0; i < index.length; i++) data[i * numClasses + index[i]!] = 1;
  return new Tensor(data, [...shape, numClasses]);
}

/** Indices of the maxima along `axis` (first on ties), as a float tensor of integers; no gradient. */
export function argmax(x: Tensor, axis = -1): Tensor {
  const a = normalizeAxis('argmax', axis, x.ndim);
  const [outer, dim, inner] = view(x.shape, a);
  if (dim === 0) throw new Error(`argmax: dimension ${axis} of ${formatShape(x.shape)} is empty`);
  const out = getBackend().argmax(x.data, outer, dim, inner);
  return new Tensor(
    out,
    x.shape.filter((_, i) => i !== a),
  );
}
