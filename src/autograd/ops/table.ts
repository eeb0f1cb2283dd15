/**
 * The op table: every primitive rule, and every composite. Tests derive their list of ops from here, so an op
 * added without a test fails the suite. A primitive's `backward` is required by the `Rule` type (`null` is an
 * explicit "no gradient", used only for piecewise-constant ops), so a primitive without a rule does not compile.
 */
import { elementwiseRules as elementwise } from './elementwise.js';
import { indexingRules as indexing } from './indexing.js';
import { matmulRules as matmul } from './matmul.js';
import { reduceRules as reduce } from './reduce.js';
import { shapeRules as shape } from './shape.js';
import * as composite from './composite.js';

export const PRIMITIVES = { ...elementwise, ...reduce, ...shape, ...matmul, ...indexing } as const;
export type PrimitiveName = keyof typeof PRIMITIVES;

export const COMPOSITES = {
  softplus: composite.softplus,
  logsigmoid: composite.logsigmoid,
  sigmoid: composite.sigmoid,
  logsumexp: composite.logsumexp,
  logSoftmax: composite.logSoftmax,
  softmax: composite.softmax,
  gelu: composite.gelu,
  layerNorm: composite.layerNorm,
  crossEntropy: composite.crossEntropy,
  dropout: composite.dropout,
  mseLoss: composite.mseLoss,
} as const;
export type CompositeName = keyof typeof COMPOSITES;

/** Primitives whose rule is an explicit "no gradient". */
export function isDifferentiable(name: PrimitiveName): boolean {
  return PRIMITIVES[name].backward !== null;
}
