/** Reductions over axes: sum, mean, max, min, and the central broadcast-gradient reduction `sumToShape`. */
import { getBackend } from '../backend/registry.js';
import { apply, type Rule } from '../engine.js';
import { formatShape, normalizeAxes, reducedShape, shapesEqual, sizeOf, type Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { div, eq, mul, sub } from './elementwise.js';
import { expand, reshape } from './shape.js';

export interface ReduceAttrs {
  /** Sorted, distinct, non-negative axes. */
  axes: readonly number[];
  keepdim: boolean;
}

function reduceRule(op: 'sum' | 'max' | 'min', backward: Rule<ReduceAttrs>['backward']): Rule<ReduceAttrs> {
  return {
    name: op,
    forward: ([x], { axes, keepdim }) => {
      if (op !== 'sum' && x!.size === 0) throw new Error(`${op}: cannot reduce an empty tensor of shape ${formatShape(x!.shape)}`);
      for (const a of axes) {
        if (op !== 'sum' && x!.shape[a] === 0)
          throw new Error(`${op}: cannot reduce over empty axis ${a} of shape ${formatShape(x!.shape)}`);
      }
      return { data: getBackend().reduce(op, x!.data, x!.shape, axes), shape: reducedShape(x!.shape, axes, keepdim) };
    },
    backward,
  };
}

/** The gradient of a reduction, brought back to keepdim shape and broadcast over the reduced axes. */
function spread(g: Tensor, x: Tensor, axes: readonly number[]): Tensor {
  return expand(reshape(g, reducedShape(x.shape, axes, true)), x.shape);
}

/**
 * max/min: the gradient goes to the elements equal to the extreme value, split evenly among ties
 * (PyTorch's amax/amin convention). The mask is a constant, so the rule is itself differentiable.
 */
function extremeBackward(g: Tensor, x: Tensor, out: Tensor, axes: readonly number[]): Tensor {
  const extreme = spread(out, x, axes);
  const mask = eq(x, extreme);
  const count = spread(sum(mask, axes, true), x, axes);
  return div(mul(spread(g, x, axes), mask), count);
}

export const reduceRules = {
  // d sum(x) / dx_i = 1: the gradient is broadcast back over the reduced axes.
  sum: reduceRule('sum', (g, { inputs: [x], attrs }) => [spread(g, x!, attrs.axes)]),
  max: reduceRule('max', (g, { inputs: [x], output, attrs }) => [extremeBackward(g, x!, output, attrs.axes)]),
  min: reduceRule('min', (g, { inputs: [x], output, attrs }) => [extremeBackward(g, x!, output, attrs.axes)]),
} as const;

/** Sum over `axes` (all when omitted); `keepdim` keeps them as size-1 dimensions. */
export function sum(x: Tensor, axes?: number | readonly number[], keepdim = false): Tensor {
  return apply(reduceRules.sum, [x], { axes: normalizeAxes('sum', axes, x.ndim), keepdim });
}

export function mean(x: Tensor, axes?: number | readonly number[], keepdim = false): Tensor {
  const norm = normalizeAxes('mean', axes, x.ndim);
  const count = norm.reduce((n, a) => n * x.shape[a]!, 1);
  return div(sum(x, norm, keepdim), count);
}

export function max(x: Tensor, axes?: number | readonly number[], keepdim = false): Tensor {
  return apply(reduceRules.max, [x], { axes: normalizeAxes('max', axes, x.ndim), keepdim });
}

export function min(x: Tensor, axes?: number | readonly number[], keepdim = false): Tensor {
  return apply(reduceRules.min, [x], { axes: normalizeAxes('min', axes, x.ndim), keepdim });
}

/** Population variance (divides by n), as layer norm uses it. */
export function variance(x: Tensor, axes?: number | readonly number[], keepdim = false): Tensor {
  const centred = sub(x, mean(x, axes, true));
  return mean(mul(centred, centred), axes, keepdim);
}

/**
 * Reduces a broadcast gradient to `shape`: sums the leading dimensions `shape` lacks and the dimensions where
 * `shape` has size 1. This is the one place broadcast gradients are reduced (the engine calls it).
 */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  if (lead < 0) throw new Error(`sumToShape: cannot reduce ${formatShape(g.shape)} to the larger rank ${formatShape(shape)}`);
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead) axes.push(i);
    else if (shape[i - lead] === 1 && g.shape[i] !== 1) axes.push(i);
    else if (shape[i - lead] !== g.shape[i]) {
      throw new Error(`sumToShape: gradient of shape ${formatShape(g.shape)} does not broadcast from ${formatShape(shape)}`);
    }
  }
  const summed = axes.length > 0 ? sum(g, axes, true) : g;
  return sizeOf(summed.shape) === sizeOf(shape) ? reshape(summed, shape) : summed;
}
