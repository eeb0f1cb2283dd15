/**
 * Elementwise primitives. Each rule's forward runs a backend kernel; its backward is written with tensor ops
 * (so gradients of gradients work) and returns null for inputs that need no gradient. The formula of each
 * derivative sits in the comment beside it.
 */
import type { BinaryOp, UnaryOp } from '../backend/backend.js';
import { getBackend } from '../backend/registry.js';
import type { DType } from '../dtype.js';
import { apply, type Rule } from '../engine.js';
import { broadcastShapes } from '../shape.js';
import { Tensor } from '../tensor.js';
import { lift, type TensorLike } from './util.js';

type NoAttrs = Record<string, never>;
const NONE: NoAttrs = {};

function unaryRule(op: UnaryOp, backward: Rule<NoAttrs>['backward']): Rule<NoAttrs> {
  return {
    name: op,
    forward: ([x]) => ({ data: getBackend().unary(op, x!.data), shape: x!.shape }),
    backward,
  };
}

function binaryRule(op: BinaryOp, backward: Rule<NoAttrs>['backward']): Rule<NoAttrs> {
  return {
    name: op,
    forward: ([a, b]) => {
      const shape = broadcastShapes(op, a!.shape, b!.shape);
      return { data: getBackend().binary(op, a!.data, a!.shape, b!.data, b!.shape, shape), shape };
    },
    backward,
  };
}

/** Returns `compute()` when the input needs a gradient, else null (skips work and avoids spurious NaNs). */
function when(input: Tensor, compute: () => Tensor): Tensor | null {
  return input.requiresGrad ? compute() : null;
}

export const elementwiseRules = {
  // d(-x) = -dx
  neg: unaryRule('neg', (g) => [neg(g)]),
  // d(e^x) = e^x dx
  exp: unaryRule('exp', (g, { output }) => [mul(g, output)]),
  // d(log x) = dx / x
  log: unaryRule('log', (g, { inputs: [x] }) => [div(g, x!)]),
  // d(sqrt x) = dx / (2 sqrt x)
  sqrt: unaryRule('sqrt', (g, { output }) => [div(g, mul(output, 2))]),
  // d|x| = sign(x) dx (0 at x = 0, the subgradient PyTorch uses)
  abs: unaryRule('abs', (g, { inputs: [x] }) => [mul(g, sign(x!))]),
  // d tanh x = (1 - tanh^2 x) dx
  tanh: unaryRule('tanh', (g, { output }) => [mul(g, sub(1, mul(output, output)))]),
  // d relu(x) = step(x) dx, with step(0) = 0
  relu: unaryRule('relu', (g, { inputs: [x] }) => [mul(g, step(x!))]),
  // d log(1 + x) = dx / (1 + x); log1p keeps precision for small x (stable softplus needs it)
  log1p: unaryRule('log1p', (g, { inputs: [x] }) => [div(g, add(x!, 1))]),
  // d(1/x) = -x^-2 dx = -(1/x)^2 dx
  reciprocal: unaryRule('reciprocal', (g, { output }) => [neg(mul(g, mul(output, output)))]),
  // Piecewise constant: no gradient (zero almost everywhere), so outputs never require grad.
  sign: unaryRule('sign', null),
  step: unaryRule('step', null),

  // d(a + b) = da + db (broadcast dims are summed back by the engine)
  add: binaryRule('add', (g, { inputs: [a, b] }) => [when(a!, () => g), when(b!, () => g)]),
  // d(a - b) = da - db
  sub: binaryRule('sub', (g, { inputs: [a, b] }) => [when(a!, () => g), when(b!, () => neg(g))]),
  // d(ab) = b da + a db
  mul: binaryRule('mul', (g, { inputs: [a, b] }) => [when(a!, () => mul(g, b!)), when(b!, () => mul(g, a!))]),
  // d(a/b) = da / b - a/b^2 db = da / b - (a/b)/b db
  div: binaryRule('div', (g, { inputs: [a, b], output }) => [when(a!, () => div(g, b!)), when(b!, () => neg(div(mul(g, output), b!)))]),
  // d(a^b) = b a^(b-1) da + a^b log(a) db, with PyTorch's values at a = 0: where b = 0, a^b = 1 is constant in a,
  // so da's coefficient is 0 (not 0 * 0^-1 = NaN); where a = 0 and b >= 0, db's is 0 (not 0^b log 0 = NaN).
  // The masks are `where`s of tensor ops, so the same holds at every order: d²/da² a^1 = d/da (1 a^0) = 0 at 0.
  // Where b = 0 the masked term is computed with exponent 1 instead of -1, so that it stays finite and its own
  // (masked, zero) gradient is not 0 * inf = NaN: d²/da² a^0 = 0 at a = 0 too (PyTorch: a constant 0).
  pow: binaryRule('pow', (g, { inputs: [a, b], output }) => [
    when(a!, () => {
      const constant = eq(b!, 0);
      return where(constant, 0, mul(g, mul(b!, pow(a!, where(constant, 1, sub(b!, 1))))));
    }),
    when(b!, () => {
      // Likewise log is taken of 1 instead of 0 in the masked term, so d²/db² 0^b = 0 too (PyTorch: NaN).
      const constant = mul(eq(a!, 0), ge(b!, 0));
      return where(constant, 0, mul(g, mul(output, log(where(constant, 1, a!)))));
    }),
  ]),
  // At a tie the gradient is split evenly between the two inputs, as PyTorch's maximum does.
  maximum: binaryRule('maximum', (g, { inputs: [a, b] }) => {
    const half = mul(eq(a!, b!), 0.5);
    return [when(a!, () => mul(g, add(gt(a!, b!), half))), when(b!, () => mul(g, add(lt(a!, b!), half)))];
  }),
  minimum: binaryRule('minimum', (g, { inputs: [a, b] }) => {
    const half = mul(eq(a!, b!), 0.5);
    return [when(a!, () => mul(g, add(lt(a!, b!), half))), when(b!, () => mul(g, add(gt(a!, b!), half)))];
  }),
  gt: binaryRule('gt', null),
  ge: binaryRule('ge', null),
  lt: binaryRule('lt', null),
  le: binaryRule('le', null),
  eq: binaryRule('eq', null),
  ne: binaryRule('ne', null),

  // A differentiable dtype cast: the gradient is cast back to the input's dtype.
  cast: {
    name: 'cast',
    forward: ([x], { dtype }) => ({ data: getBackend().cast(x!.data, dtype), shape: x!.shape }),
    backward: (g, { inputs: [x] }) => [cast(g, x!.dtype)],
  } satisfies Rule<{ dtype: DType }>,

  // where(c, a, b) = c ? a : b; d = c da + (1 - c) db; the condition gets no gradient.
  where: {
    name: 'where',
    forward: ([c, a, b]) => {
      const shape = broadcastShapes('where', broadcastShapes('where', c!.shape, a!.shape), b!.shape);
      return { data: getBackend().where(c!.data, c!.shape, a!.data, a!.shape, b!.data, b!.shape, shape), shape };
    },
    backward: (g, { inputs: [c, a, b] }) => {
      const zero = mul(g, 0);
      return [null, when(a!, () => where(c!, g, zero)), when(b!, () => where(c!, zero, g))];
    },
  } satisfies Rule<NoAttrs>,
} as const;

function unary(rule: Rule<NoAttrs>, x: Tensor): Tensor {
  return apply(rule, [x], NONE);
}

function binary(rule: Rule<NoAttrs>, a: TensorLike, b: TensorLike): Tensor {
  return apply(rule, lift([a, b], rule.name), NONE);
}

export const neg = (x: Tensor): Tensor => unary(elementwiseRules.neg, x);
export const exp = (x: Tensor): Tensor => unary(elementwiseRules.exp, x);
export const log = (x: Tensor): Tensor => unary(elementwiseRules.log, x);
export const sqrt = (x: Tensor): Tensor => unary(elementwiseRules.sqrt, x);
export const abs = (x: Tensor): Tensor => unary(elementwiseRules.abs, x);
export const tanh = (x: Tensor): Tensor => unary(elementwiseRules.tanh, x);
export const relu = (x: Tensor): Tensor => unary(elementwiseRules.relu, x);
export const log1p = (x: Tensor): Tensor => unary(elementwiseRules.log1p, x);
export const reciprocal = (x: Tensor): Tensor => unary(elementwiseRules.reciprocal, x);
/** -1, 0 or 1 (no gradient). */
export const sign = (x: Tensor): Tensor => unary(elementwiseRules.sign, x);
/** 1 where x > 0, else 0 (no gradient). */
export const step = (x: Tensor): Tensor => unary(elementwiseRules.step, x);

export const add = (a: TensorLike, b: TensorLike): Tensor => binary(elementwiseRules.add, a, b);
export const sub = (a: TensorLike, b: TensorLike): Tensor => binary(elementwiseRules.sub, a, b);
export const mul = (a: TensorLike, b: TensorLike): Tensor => binary(elementwiseRules.mul, a, b);
export const div = (a: TensorLike, b: TensorLike): Tensor => binary(elementwiseRules.div, a, b);
/** a ** b, elementwise; the exponent may be a tensor or a number. */
export const pow = (a: TensorLike, b: TensorLike): Tensor => binary(elementwiseRules.pow, a, b);
export const maximum = (a: TensorLike, b: TensorLike): Tensor => binary(elementwiseRules.maximum, a, b);
export const minimum = (a: TensorLike, b: TensorLike): Tensor => binary(elementwiseRules.minimum, a, b);
/** Comparisons give 1 or 0 in the operands' dtype, with no gradient. */
export const gt = (a: TensorLike, b: TensorLike): Tensor => binary(elementwiseRules.gt, a, b);
export const ge = (a: TensorLike, b: TensorLike): Tensor => binary(elementwiseRules.ge, a, b);
export const lt = (a: TensorLike, b: TensorLike): Tensor => binary(elementwiseRules.lt, a, b);
export const le = (a: TensorLike, b: TensorLike): Tensor => binary(elementwiseRules.le, a, b);
export const eq = (a: TensorLike, b: TensorLike): Tensor => binary(elementwiseRules.eq, a, b);
export const ne = (a: TensorLike, b: TensorLike): Tensor => binary(elementwiseRules.ne, a, b);

/** Elementwise `condition ? a : b` with three-way broadcasting; condition is non-zero for true. */
export function where(condition: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = lift([a, b], 'where');
  // The condition is a constant mask: it is cut from the graph and takes the operands' dtype.
  const c = condition.dtype === x!.dtype ? condition.detach() : new Tensor(getBackend().cast(condition.data, x!.dtype), condition.shape);
  return apply(elementwiseRules.where, [c, x!, y!], NONE);
}

/** A copy of x in another dtype, recorded in the graph (the gradient flows back in x's dtype). */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  return apply(elementwiseRules.cast, [x], { dtype });
}

/** relu's sibling, by composition: max(x, 0) + slope * min(x, 0). */
export function leakyRelu(x: Tensor, slope = 0.01): Tensor {
  return add(relu(x), mul(minimum(x, 0), slope));
}

/** A square, by multiplication (exact at 0, unlike pow with a real exponent). */
export function square(x: Tensor): Tensor {
  return mul(x, x);
}
