export * from './elementwise.js';
export * from './reduce.js';
export * from './shape.js';
export * from './matmul.js';
export * from './indexing.js';
export * from './composite.js';
export { PRIMITIVES, COMPOSITES, isDifferentiable, type PrimitiveName, type CompositeName } from './table.js';
export type { TensorLike } from './util.js';
export * from './fused.js';
