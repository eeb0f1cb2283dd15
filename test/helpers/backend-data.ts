/**
 * Data for the backend tests: deterministic float32 operands from a seed, a bit-for-bit comparison, and the
 * arguments of an unbatched product.
 */
import { expect } from 'vitest';
import type { MatmulArgs } from '../../src/autograd/backend/backend.js';

/**
 * `n` float32 values offset + scale·u, u in [-1, 1), from a linear congruential generator seeded with `seed`, so
 * a failing case is its seed.
 */
export function lcgFloats(seed: number, n: number, scale = 1, offset = 0): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.fround(offset + scale * (s / 2 ** 31 - 1));
  });
}

/** Same length and the same value at every index, bit for bit (Object.is: NaN equals NaN, -0 differs from 0). */
export function sameBits(a: ArrayLike<number>, b: ArrayLike<number>, what = ''): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) expect.fail(`${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

/** op(A) op(B) with A [m, k] (or [k, m] when transA) and B [k, n] (or [n, k] when transB), no batch, no bias. */
export function unbatched(
  a: Float32Array | Float64Array,
  b: Float32Array | Float64Array,
  m: number,
  k: number,
  n: number,
  transA = false,
  transB = false,
): MatmulArgs {
  return { a, b, aBatch: [], bBatch: [], batchShape: [], m, k, n, transA, transB };
}
