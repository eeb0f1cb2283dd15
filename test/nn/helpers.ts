/** Shared fixtures for the nn tests: tiny float64 GPTs and deterministic token batches. */
import { Generator, type Tensor } from '../../src/autograd/index.js';
import { GPT, type GPTConfig } from '../../src/nn/index.js';

/** The gradcheck configuration: vocab 11, context 4, width 8, 2 heads, 1 layer, float64. */
export const TINY: GPTConfig = { vocabSize: 11, contextLength: 4, width: 8, heads: 2, layers: 1, mlpRatio: 4, dtype: 'float64' };

export function tinyGPT(seed = 0, overrides: Partial<GPTConfig> = {}): GPT {
  return new GPT({ ...TINY, ...overrides }, new Generator(seed));
}

/** Random ids [B, T] in [0, vocab). */
export function randomIds(gen: Generator, batch: number, length: number, vocab: number): number[][] {
  return Array.from({ length: batch }, () => Array.from({ length }, () => gen.int(vocab)));
}

/** A copy of every parameter's values, for before/after comparisons. */
export function snapshot(params: readonly Tensor[]): Float64Array[] {
  return params.map((p) => Float64Array.from(p.data));
}

/** True when every parameter equals its snapshot bit for bit. */
export function sameAsSnapshot(params: readonly Tensor[], snap: readonly Float64Array[]): boolean {
  return params.every((p, i) => p.data.length === snap[i]!.length && p.data.every((v, j) => Object.is(v, snap[i]![j])));
}

/** The largest |a - b| over two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
