/** Matrix products: one batched primitive with transposed-operand flags, so backward needs no transpose copies. */
import { getBackend } from '../backend/registry.js';
import { apply, type Rule } from '../engine.js';
import { broadcastShapes, formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { reshape } from './shape.js';

export interface MatmulAttrs {
  transA: boolean;
  transB: boolean;
}

function describe(x: Tensor, trans: boolean): string {
  return trans ? `${formatShape(x.shape)}^T` : formatShape(x.shape);
}

export const matmulRules = {
  /**
   * C = op(A) op(B), op = transpose when the flag is set; batch dims broadcast.
   *   dA = g op(B)^T           (transA false)    dA = op(B) g^T  (transA true)
   *   dB = op(A)^T g           (transB false)    dB = g^T op(A)  (transB true)
   * each expressed as the same primitive with flags; broadcast batch dims are summed by the engine.
   */
  matmul: {
    name: 'matmul',
    forward: ([a, b], { transA, transB }) => {
      const m = transA ? a!.shape[a!.ndim - 1]! : a!.shape[a!.ndim - 2]!;
      const k = transA ? a!.shape[a!.ndim - 2]! : a!.shape[a!.ndim - 1]!;
      const kb = transB ? b!.shape[b!.ndim - 1]! : b!.shape[b!.ndim - 2]!;
      const n = transB ? b!.shape[b!.ndim - 2]! : b!.shape[b!.ndim - 1]!;
      if (k !== kb) throw new Error(`matmul: cannot multiply ${describe(a!, transA)} by ${describe(b!, transB)}`);
      const aBatch = a!.shape.slice(0, -2);
      const bBatch = b!.shape.slice(0, -2);
      let batchShape: number[];
      try {
        batchShape = broadcastShapes('matmul', aBatch, bBatch);
      } catch {
        throw new Error(`matmul: batch dimensions of ${formatShape(a!.shape)} and ${formatShape(b!.shape)} do not broadcast`);
      }
      const data = getBackend().matmul({ a: a!.data, b: b!.data, aBatch, bBatch, batchShape, m, k, n, transA, transB });
      return { data, shape: [...batchShape, m, n] };
    },
    backward: (g, { inputs: [a, b], attrs: { transA, transB } }) => [
      a!.requiresGrad ? (transA ? matmulT(b!, g, transB, true) : matmulT(g, b!, false, !transB)) : null,
      b!.requiresGrad ? (transB ? matmulT(g, a!, true, transA) : matmulT(a!, g, !transA, false)) : null,
    ],
  } satisfies Rule<MatmulAttrs>,
} as const;

/** op(a) @ op(b) for tensors of rank >= 2, where op transposes the last two dims when its flag is set. */
export function matmulT(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  if (a.ndim < 2 || b.ndim < 2) {
    throw new Error(`matmul: cannot multiply ${formatShape(a.shape)} by ${formatShape(b.shape)} (matmulT needs rank >= 2)`);
  }
  return apply(matmulRules.matmul, [a, b], { transA, transB });
}

/**
 * The matrix product with NumPy semantics: 2-d by 2-d, batched with broadcast batch dims, and 1-d operands
 * promoted (a leading 1 for a, a trailing 1 for b) then squeezed back out.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.ndim === 0 || b.ndim === 0)
    throw new Error(`matmul: cannot multiply ${formatShape(a.shape)} by ${formatShape(b.shape)} (0-d operand)`);
  const a2 = a.ndim === 1 ? reshape(a, [1, a.shape[0]!]) : a;
  const b2 = b.ndim === 1 ? reshape(b, [b.shape[0]!, 1]) : b;
  const ka = a2.shape[a2.ndim - 1]!;
  const kb = b2.shape[b2.ndim - 2]!;
  if (ka !== kb) throw new Error(`matmul: cannot multiply ${formatShape(a.shape)} by ${formatShape(b.shape)}`);
  let out = matmulT(a2, b2, false, false);
  if (a.ndim === 1) out = reshape(out, [...out.shape.slice(0, -2), out.shape[out.ndim - 1]!]);
  if (b.ndim === 1) out = reshape(out, out.shape.slice(0, -1));
  return out;
}
