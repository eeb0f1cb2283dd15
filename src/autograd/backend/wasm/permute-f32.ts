/**
 * permute for float32 arrays on the wasm backend: the cpu backend's algorithm (trailing axes the permutation
 * keeps move as contiguous runs, e.g. attention's whole head vectors: permuteRuns) with loops over Float32Array
 * only, so they stay monomorphic. Bench/README.md has the numbers.
 */
import type { Shape } from '../../shape.js';
import { permuteRuns } from '../cpu/strided.js';

export function permuteF32(x: Float32Array, shape: Shape, perm: readonly number[]): Float32Array {
  const out = new Float32Array(x.length);
  if (shape.length === 0 || x.length === 0) {
    out.set(x);
    return out;
  }
  const { starts, run } = permuteRuns(shape, perm);
  for (let j = 0, i = 0; j < starts.length; j++, i += run) {
    const offset = starts[j]!;
    for (let r = 0; r < run; r++) out[i + r] = x[offset + r]!;
  }
  return out;
}
