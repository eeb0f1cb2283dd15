/**
 * permute for float32 arrays on the wasm backend: the cpu backend's algorithm (trailing axes the permutation
 * keeps move as contiguous runs, e.g. attention's whole head vectors) with loops over Float32Array only, so
 * they stay monomorphic, and the runs' start offsets cached per shape and permutation (a training step asks
 * for the same few). Bench/README.md has the numbers.
 */
import { type Shape, sizeOf, stridesOf } from '../../shape.js';
import { stridedOffsets } from '../cpu/strided.js';

interface Plan {
  starts: Int32Array;
  run: number;
}

const MAX_PLANS = 64;
const plans = new Map<string, Plan>();

function plan(shape: Shape, perm: readonly number[]): Plan {
  const key = `${shape.join(',')}|${perm.join(',')}`;
  const hit = plans.get(key);
  if (hit) return hit;
  let kept = shape.length;
  while (kept > 0 && perm[kept - 1] === kept - 1) kept--;
  const run = sizeOf(shape.slice(kept));
  const inStrides = stridesOf(shape);
  const starts = stridedOffsets(
    perm.slice(0, kept).map((p) => shape[p]!),
    perm.slice(0, kept).map((p) => inStrides[p]!),
  );
  const made = { starts, run };
  if (plans.size >= MAX_PLANS) plans.delete(plans.keys().next().value!);
  plans.set(key, made);
  return made;
}

export function permuteF32(x: Float32Array, shape: Shape, perm: readonly number[]): Float32Array {
  const out = new Float32Array(x.length);
  if (shape.length === 0 || x.length === 0) {
    out.set(x);
    return out;
  }
  const { starts, run } = plan(shape, perm);
  for (let j = 0, i = 0; j < starts.length; j++, i += run) {
    const offset = starts[j]!;
    for (let r = 0; r < run; r++) out[i + r] = x[offset + r]!;
  }
  return out;
}
