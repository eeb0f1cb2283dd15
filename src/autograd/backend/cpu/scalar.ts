/** Scalar definitions of the elementwise kernels: the semantics every backend's unary and binary must match. */
import type { BinaryOp, UnaryOp } from '../backend.js';

export const scalarUnary: Readonly<Record<UnaryOp, (x: number) => number>> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  log1p: Math.log1p,
  sqrt: Math.sqrt,
  abs: Math.abs,
  tanh: Math.tanh,
  relu: (x) => (x > 0 ? x : 0),
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0),
  reciprocal: (x) => 1 / x,
  // Heaviside step with step(0) = 0: the derivative of relu as the engine defines it.
  step: (x) => (x > 0 ? 1 : 0),
};

export const scalarBinary: Readonly<Record<BinaryOp, (a: number, b: number) => number>> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  // NaN propagates through maximum/minimum, as in NumPy and PyTorch.
  maximum: (a, b) => (a !== a || b !== b ? Number.NaN : a >= b ? a : b),
  minimum: (a, b) => (a !== a || b !== b ? Number.NaN : a <= b ? a : b),
  gt: (a, b) => (a > b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  eq: (a, b) => (a === b ? 1 : 0),
  ne: (a, b) => (a !== b ? 1 : 0),
};
