/**
 * Figure 1's fits against a direct float64 computation of objective (1.1), written here without the engine:
 * for every grid response y, plain gradient ascent on α φ(y)·w − L_lr(w) − (λ/2)|w|² (strictly concave for
 * fixed y; L_lr the soft-labelled logistic loss written out again here), and the best y kept. The page draws figure1()'s numbers, so they must agree.
 */
import { describe, expect, it } from 'vitest';
import {
  FIGURE1_DEFAULTS,
  features,
  figure1,
  figure1Grid,
  figure1TrueReward,
  labelPair,
  type Figure1Settings,
} from '../../src/lab/figure1.js';

interface Direct {
  weights: number[];
  value: number;
  y: number;
}

/** max_w [α φ(y)·w − L_lr(w) − (λ/2)|w|²] for one y, by gradient ascent with a step below 1/Lipschitz. */
function directAtY(s: Figure1Settings, y: number): { weights: number[]; value: number } {
  const C = s.centres;
  const diffs = s.pairs.map((p) => features(p.chosen, C, s.width).map((v, j) => v - features(p.rejected, C, s.width)[j]!));
  const tilt = features(y, C, s.width).map((v) => s.alpha * v);
  const probs = s.pairs.map((p) => 1 / (1 + Math.exp(figure1TrueReward(p.rejected) - figure1TrueReward(p.chosen))));
  const lipschitz = s.lambda + 0.25 * s.labels * diffs.reduce((a, d) => a + d.reduce((b, v) => b + v * v, 0), 0);
  const step = 1 / lipschitz;
  const w = new Array<number>(C).fill(0);
  for (let it = 0; it < 200000; it++) {
    const g = tilt.map((t, j) => t - s.lambda * w[j]!);
    diffs.forEach((d, i) => {
      const m = d.reduce((a, v, j) => a + v * w[j]!, 0);
      // d/dm of −n[p log σ(m) + (1 − p) log σ(−m)] is −n(p − σ(m)).
      const weight = s.labels * (probs[i]! - 1 / (1 + Math.exp(-m)));
      d.forEach((v, j) => (g[j]! += weight * v));
    });
    let norm = 0;
    g.forEach((v, j) => {
      w[j]! += step * v;
      norm += v * v;
    });
    if (Math.sqrt(norm) < 1e-12) break;
  }
  const fit = diffs.reduce((a, d, i) => {
    const m = d.reduce((b, v, j) => b + v * w[j]!, 0);
    return a + s.labels * (probs[i]! * Math.log(1 + Math.exp(-m)) + (1 - probs[i]!) * Math.log(1 + Math.exp(m)));
  }, 0);
  const value = tilt.reduce((a, t, j) => a + t * w[j]!, 0) - fit - (s.lambda / 2) * w.reduce((a, v) => a + v * v, 0);
  return { weights: w, value };
}

function direct(s: Figure1Settings): Direct {
  let best: Direct | null = null;
  for (const y of figure1Grid(s.points)) {
    const d = directAtY(s, y);
    if (best === null || d.value > best.value) best = { ...d, y };
  }
  return best!;
}

const reward = (w: ArrayLike<number>, y: number, s: Figure1Settings): number =>
  features(y, s.centres, s.width).reduce((a, v, j) => a + v * w[j]!, 0);

describe('figure1: the plain and optimistic reward fits of objective (1.1)', () => {
  const cases: [string, Figure1Settings][] = [
    ['α = 0 (plain fit)', { ...FIGURE1_DEFAULTS, points: 41 }],
    ['α = 1, default width (y_u on the data)', { ...FIGURE1_DEFAULTS, alpha: 1, points: 41 }],
    ['α = 3, default width (y_u off the data)', { ...FIGURE1_DEFAULTS, alpha: 3, points: 41 }],
    ['α = 5, wide features', { ...FIGURE1_DEFAULTS, alpha: 5, width: 0.2, points: 41 }],
    [
      'α = 0.5, narrow features, more pairs',
      {
        ...FIGURE1_DEFAULTS,
        alpha: 0.5,
        width: 0.05,
        points: 41,
        pairs: [...FIGURE1_DEFAULTS.pairs, labelPair(0.7, 0.25), labelPair(0.9, 0.6)],
      },
    ],
  ];
  for (const [name, s] of cases) {
    it(`${name}: agrees with a direct float64 maximisation of (1.1)`, () => {
      const result = figure1(s);
      const d = direct(s);
      expect(result.optimistic.objective).toBeCloseTo(d.value, 8);
      // The maximiser is unique up to ties between grid y's; compare the reward functions it gives.
      for (const y of result.grid) expect(reward(result.optimistic.weights, y, s)).toBeCloseTo(reward(d.weights, y, s), 5);
      if (s.alpha > 0) expect(result.grid[result.optimistic.greedy]).toBeCloseTo(d.y, 12);
      // y_u is the optimistic model's greedy response.
      const r = result.optimistic.rewards;
      expect(r[result.optimistic.greedy]).toBe(Math.max(...r));
    });
  }

  it('α = 0 gives the plain fit; α > 0 raises max_y r while fitting the pairs almost as well (Figure 1)', () => {
    const plain = figure1({ ...FIGURE1_DEFAULTS, alpha: 0 });
    expect(plain.optimistic).toBe(plain.plain);
    const optimistic = figure1({ ...FIGURE1_DEFAULTS, alpha: 3 });
    expect(Math.max(...optimistic.optimistic.rewards)).toBeGreaterThan(Math.max(...plain.plain.rewards) + 0.5);
    // y_u moves off the data (all pairs lie in [0.05, 0.42]) to where the data say nothing.
    expect(optimistic.grid[optimistic.optimistic.greedy]).toBeGreaterThan(0.5);
    expect(optimistic.optimistic.fitLoss).toBeLessThan(plain.plain.fitLoss + 0.01);
  });

  it('labels pairs by the true reward and rejects bad settings', () => {
    expect(labelPair(0.25, 0.78)).toEqual({ chosen: 0.78, rejected: 0.25 });
    expect(figure1TrueReward(0.78)).toBeGreaterThan(1.9);
    expect(() => figure1({ ...FIGURE1_DEFAULTS, width: 0 })).toThrow(/width must be a number > 0/);
    expect(() => figure1({ ...FIGURE1_DEFAULTS, alpha: -1 })).toThrow(/alpha must be a number >= 0/);
  });
});
