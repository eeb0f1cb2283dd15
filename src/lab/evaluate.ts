/**
 * Evaluation with the true reward r*, which our worlds know and the paper could only approximate (PairRM,
 * AlpacaEval). For one model on the held-out prompts:
 *  - r* of its greedy response per prompt (the paper's decoding for Figure 3's histograms);
 *  - the distribution of r* under sampling: exact over Y when the policy can enumerate it (the bandit),
 *    otherwise `samples` draws per prompt;
 *  - win rates between two models judged by r* (ties count one half), from those distributions;
 *  - the implicit reward r̂θ(x, y) = β(log πθ − log π_ref)(y) on held-out chosen and rejected responses
 *    (Figure 4 compares SELM's with DPO's).
 * Sampling uses a generator seeded by the caller, the same for every model of a seed (common random numbers:
 * differences between models are not drowned by sampling noise).
 */
import { type Generator, noGrad } from '../autograd/index.js';
import type { Policy } from '../selm/policy.js';
import type { Tokens } from '../selm/types.js';
import type { World } from './worlds/types.js';

/** The r* distribution of one prompt: values with weights summing to 1. */
export interface RewardDistribution {
  values: number[];
  weights: number[];
}

export interface ModelEval {
  /** r* of the greedy response, per held-out prompt. */
  greedy: number[];
  /** r* distribution of a sampled response, per held-out prompt. */
  sampled: RewardDistribution[];
  meanGreedy: number;
  meanSampled: number;
  /** Implicit rewards on held-out (x, y_w, y_l), relative to the model's own π_ref; absent for the SFT model. */
  implicitChosen?: number[];
  implicitRejected?: number[];
  /** A few greedy responses as text, for the summary. */
  examples: { prompt: string; response: string; reward: number }[];
}

export interface EvalOptions {
  /** Sampled responses per prompt when Y cannot be enumerated. */
  samples: number;
  beta: number;
}

function logProbsOf(policy: Policy, prompts: readonly Tokens[], responses: readonly Tokens[]): number[] {
  const out: number[] = [];
  noGrad(() => {
    for (let i = 0; i < prompts.length; i += 64) {
      const lp = policy.logProbs(prompts.slice(i, i + 64), responses.slice(i, i + 64));
      out.push(...Array.from(lp.data));
    }
  });
  return out;
}

/** Evaluates `policy` on the world's held-out prompts (and held-out preferences when `reference` is given). */
export function evaluateModel(
  world: World,
  policy: Policy,
  reference: Policy | null,
  options: EvalOptions,
  generator: Generator,
): ModelEval {
  const prompts = world.testPrompts;
  const greedyResponses = policy.generate(prompts, 'greedy', generator);
  const greedy = greedyResponses.map((y, i) => world.trueReward(prompts[i]!, y));
  let sampled: RewardDistribution[];
  if (policy.responseLogProbs && world.enumerateResponses) {
    sampled = prompts.map((x) => {
      const ys = world.enumerateResponses!(x);
      const lp = policy.responseLogProbs!(x);
      return { values: ys.map((y) => world.trueReward(x, y)), weights: Array.from(lp, Math.exp) };
    });
  } else {
    sampled = prompts.map(() => ({ values: [], weights: [] }));
    // All samples in one batched generation: prompt i appears `samples` times in a row.
    const repeated = prompts.flatMap((x) => Array.from({ length: options.samples }, () => x));
    policy.generate(repeated, 'sample', generator).forEach((y, j) => {
      const i = Math.floor(j / options.samples);
      sampled[i]!.values.push(world.trueReward(prompts[i]!, y));
      sampled[i]!.weights.push(1 / options.samples);
    });
  }
  const result: ModelEval = {
    greedy,
    sampled,
    meanGreedy: mean(greedy),
    meanSampled: mean(sampled.map(expectedValue)),
    examples: prompts
      .slice(0, 3)
      .map((x, i) => ({ prompt: world.formatPrompt(x), response: world.formatResponse(greedyResponses[i]!), reward: greedy[i]! })),
  };
  if (reference) {
    const prefs = world.testPreferences;
    const px = prefs.map((p) => p.prompt);
    const implicit = (responses: Tokens[]): number[] => {
      const pol = logProbsOf(policy, px, responses);
      const ref = logProbsOf(reference, px, responses);
      return pol.map((v, i) => options.beta * (v - ref[i]!));
    };
    result.implicitChosen = implicit(prefs.map((p) => [...p.chosen]));
    result.implicitRejected = implicit(prefs.map((p) => [...p.rejected]));
  }
  return result;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

export function expectedValue(d: RewardDistribution): number {
  return d.values.reduce((a, v, i) => a + v * d.weights[i]!, 0);
}

/**
 * P(r*(y_A) > r*(y_B)) + ½ P(equal) for independent y_A ~ A, y_B ~ B on one prompt: exact for exact
 * distributions, the all-pairs estimate for sampled ones.
 */
export function winProbability(a: RewardDistribution, b: RewardDistribution): number {
  let win = 0;
  a.values.forEach((ra, i) => {
    b.values.forEach((rb, j) => {
      const w = a.weights[i]! * b.weights[j]!;
      if (ra > rb) win += w;
      else if (ra === rb) win += w / 2;
    });
  });
  return win;
}

/** The win rate of model A against model B over the held-out prompts. */
export function winRate(a: ModelEval, b: ModelEval): number {
  return mean(a.sampled.map((d, i) => winProbability(d, b.sampled[i]!)));
}

/** The bin of `v` among `bins` equal-width bins over [low, high]: the last bin closed, values outside clamped. */
export function binIndex(v: number, bins: number, low: number, high: number): number {
  return Math.min(bins - 1, Math.max(0, Math.floor(((v - low) / (high - low)) * bins)));
}

/** Fractions of values in `bins` equal-width bins over [low, high] (the last bin closed). */
export function histogram(values: readonly number[], bins: number, low: number, high: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[binIndex(v, bins, low, high)]!++;
  return counts.map((c) => c / Math.max(1, values.length));
}

/** One trained model of an experiment: which seed, method and iteration (0 = the SFT model). */
export interface ModelKey {
  seed: number;
  method: string;
  iteration: number;
}

/** Sorted r̂_A − r̂_B (Figure 4), per seed; A and B must be evaluated on the same held-out pairs. */
export function sortedImplicitDifference(a: ModelEval, b: ModelEval, which: 'chosen' | 'rejected'): number[] {
  const ra = which === 'chosen' ? a.implicitChosen : a.implicitRejected;
  const rb = which === 'chosen' ? b.implicitChosen : b.implicitRejected;
  if (!ra || !rb) return [];
  return ra.map((v, i) => v - rb[i]!).sort((x, y) => x - y);
}
