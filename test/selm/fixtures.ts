/**
 * Shared arbitraries and builders for the SELM tests: log-prob vectors and logit tables drawn from integer
 * grids (never raw doubles), and random tabular problems from a seeded Generator.
 */
import fc from 'fast-check';
import { type Generator, randn, tensor, type Tensor } from '../../src/autograd/index.js';
import type { TablePreference } from '../../src/selm/index.js';

/** A log-probability on a grid in [-8, -0.01] (sequence log-probs are negative). */
export const logpArb = fc.integer({ min: 1, max: 800 }).map((k) => -k / 100);

/** B log-probs, as plain numbers (build tensors per run, so replays never see mutated data). */
export function logpsArb(B: number): fc.Arbitrary<number[]> {
  return fc.array(logpArb, { minLength: B, maxLength: B });
}

/** β on a grid in [0.05, 2]. */
export const betaArb = fc.integer({ min: 1, max: 40 }).map((k) => k / 20);

/** α on a grid in [0, 2], including 0. */
export const alphaArb = fc.integer({ min: 0, max: 20 }).map((k) => k / 10);

/** A seed for a Generator: the randomness of a case comes from here. */
export const seedArb = fc.integer({ min: 0, max: 2 ** 31 - 1 });

export function f64(values: readonly number[], requiresGrad = false): Tensor {
  return tensor([...values], { dtype: 'float64', requiresGrad });
}

/** Random logits [X, Y] with standard deviation `scale`. */
export function randomLogits(gen: Generator, X: number, Y: number, scale = 1, requiresGrad = false): Tensor {
  return randn([X, Y], { dtype: 'float64', generator: gen, std: scale, requiresGrad });
}

/** `count` random preference triples over X prompts and Y responses, y_w ≠ y_l. */
export function randomTriples(gen: Generator, X: number, Y: number, count: number): TablePreference[] {
  return Array.from({ length: count }, (_, i) => {
    const chosen = gen.int(Y);
    return { prompt: i < X ? i : gen.int(X), chosen, rejected: (chosen + 1 + gen.int(Y - 1)) % Y };
  });
}

/** Largest |a - b| over two equal-length arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: lengths ${a.length} and ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
