/**
 * The page's eq. (3.3) panel numbers (web/eq33.ts) against the library's closed forms: the total equals
 * tabularDecomposedGradient, the optimism push on logit y is αβ(πθ(y) − π_ref(y)) (zero when πθ = π_ref, as at
 * the start of every iteration), the weight is π_ref/πθ, and section 3.3's identity holds.
 */
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/autograd/index.js';
import { tabularDecomposedGradient } from '../../src/selm/gradients.js';
import { eq33 } from '../../web/eq33.js';

const reference = [0.5, 0.2, 0.15, 0.1, 0.05];
const policy = [0.3, 0.25, 0.2, 0.15, 0.1];
const pairs = [
  { chosen: 3, rejected: 0 },
  { chosen: 1, rejected: 0 },
  { chosen: 4, rejected: 2 },
];
const alpha = 2;
const beta = 0.5;

describe('eq. (3.3) response by response', () => {
  it('equals the library’s closed-form gradient, term by term', () => {
    const r = eq33({ policy, reference, pairs, alpha, beta });
    const total = tabularDecomposedGradient(
      tensor(Float64Array.from(policy, Math.log), { shape: [1, 5], dtype: 'float64' }),
      tensor(Float64Array.from(reference, Math.log), { shape: [1, 5], dtype: 'float64' }),
      pairs.map((p) => ({ prompt: 0, ...p })),
      { alpha, beta },
    );
    r.rows.forEach((row, k) => {
      expect(row.dpoPush + row.optimismPush).toBeCloseTo(-total.data[k]!, 12);
      expect(row.optimismPush).toBeCloseTo(alpha * beta * (policy[k]! - reference[k]!), 12);
      expect(row.weight).toBeCloseTo(reference[k]! / policy[k]!, 12);
      expect(row.implicitReward).toBeCloseTo(beta * Math.log(policy[k]! / reference[k]!), 12);
    });
    expect(r.expectedRewardUnderReference).toBeCloseTo(r.minusKl, 12);
    expect(r.minusKl).toBeLessThan(0);
  });

  it('the optimism push is zero at the start of an iteration (πθ = π_ref)', () => {
    const r = eq33({ policy: reference, reference, pairs, alpha, beta });
    for (const row of r.rows) {
      expect(Math.abs(row.optimismPush)).toBeLessThan(1e-15);
      expect(row.weight).toBeCloseTo(1, 14);
    }
    expect(r.expectedRewardUnderReference).toBe(0);
  });
});
