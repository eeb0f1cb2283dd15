/**
 * The learned judge of a run (`ranker: {"kind": "learned", ...}`): a Bradley–Terry reward model on the GPT trunk
 * (src/selm/reward-model.ts), trained on the world's preference set D with a slice of D held out, then used as
 * Algorithm 1's ranker (PairRM's role). Its held-out pairwise accuracy is reported with the run; in a world with
 * a known r*, so is its agreement with r* on the held-out pairs r* separates, and r*'s own agreement with the
 * (noisy, Bradley–Terry-sampled) labels: the ceiling a perfect judge would reach.
 */
import { Generator } from '../autograd/index.js';
import { RewardModel, RewardModelRanker, pairwiseAccuracy, trainRewardModel } from '../selm/reward-model.js';
import type { Preference } from '../selm/types.js';
import type { ExperimentConfig } from './config.js';
import type { TextJudge } from './module-judge.js';
import type { World } from './worlds/types.js';

export interface LearnedRankerConfig {
  kind: 'learned';
  steps: number;
  batchSize: number;
  lr: number;
  /** Fraction of D held out to measure the judge (the rest trains it). */
  heldOutFraction: number;
}

export const DEFAULT_LEARNED: LearnedRankerConfig = { kind: 'learned', steps: 100, batchSize: 32, lr: 1e-3, heldOutFraction: 0.2 };

export interface LearnedJudgeReport {
  trainPairs: number;
  heldOutPairs: number;
  /** Held-out pairs (a slice of D plus the world's held-out-prompt pairs) the judge orders as labelled. */
  heldOutAccuracy: number;
  /** With a known r*: agreement with r* on held-out pairs it separates; and r*'s agreement with the labels. */
  trueRewardAgreement?: number;
  labelCeiling?: number;
  finalLoss: number;
}

export function validateLearnedConfig(r: Record<string, unknown>): string[] {
  const p: string[] = [];
  for (const key of ['steps', 'batchSize'] as const)
    if (r[key] !== undefined && (typeof r[key] !== 'number' || !Number.isInteger(r[key]) || (r[key] as number) < 1))
      p.push(`ranker.${key}: must be an integer >= 1, got ${JSON.stringify(r[key])}`);
  if (r.lr !== undefined && !(typeof r.lr === 'number' && r.lr > 0 && Number.isFinite(r.lr)))
    p.push(`ranker.lr: must be a number > 0, got ${JSON.stringify(r.lr)}`);
  if (r.heldOutFraction !== undefined && !(typeof r.heldOutFraction === 'number' && r.heldOutFraction > 0 && r.heldOutFraction < 1))
    p.push(`ranker.heldOutFraction: must be in (0, 1), got ${JSON.stringify(r.heldOutFraction)}`);
  return p;
}

/** A trained judge: the ranker Algorithm 1 uses, and its report. */
export interface LearnedJudge {
  ranker: RewardModelRanker;
  report: LearnedJudgeReport;
}

/** Trains the judge of one seed; `hasTrueReward` false for the text world (its r* is the judge itself). */
export function trainLearnedJudge(config: ExperimentConfig, world: World, seed: number, hasTrueReward: boolean): LearnedJudge {
  const r = { ...DEFAULT_LEARNED, ...(config.ranker as Partial<LearnedRankerConfig>) };
  const tokenizer = (world as { tokenizer?: { vocabSize: number } }).tokenizer;
  const contextLength = (world as { contextLength?: number }).contextLength;
  if (!tokenizer || !contextLength)
    throw new Error("ranker: a learned judge needs a world of token sequences (language or text), not the bandit's table");
  const d = world.preferences;
  const cut = Math.max(1, Math.round(d.length * (1 - r.heldOutFraction)));
  const train = d.slice(0, cut);
  const heldOut: Preference[] = [...d.slice(cut), ...world.testPreferences];
  const model = new RewardModel(
    {
      vocabSize: tokenizer.vocabSize,
      contextLength,
      width: config.model.width,
      heads: config.model.heads,
      layers: config.model.layers,
      mlpRatio: config.model.mlpRatio,
    },
    new Generator(seed * 1009 + 6),
  );
  const losses = trainRewardModel(model, train, { steps: r.steps, batchSize: r.batchSize, lr: r.lr }, new Generator(seed * 1009 + 7));
  const report: LearnedJudgeReport = {
    trainPairs: train.length,
    heldOutPairs: heldOut.length,
    heldOutAccuracy: pairwiseAccuracy(model, heldOut),
    finalLoss: losses[losses.length - 1] ?? Number.NaN,
  };
  if (hasTrueReward) {
    const separated = heldOut.filter((p) => world.trueReward(p.prompt, p.chosen) !== world.trueReward(p.prompt, p.rejected));
    const ordered = separated.map((p) =>
      world.trueReward(p.prompt, p.chosen) > world.trueReward(p.prompt, p.rejected) ? p : { ...p, chosen: p.rejected, rejected: p.chosen },
    );
    report.trueRewardAgreement = pairwiseAccuracy(model, ordered);
    report.labelCeiling =
      heldOut.filter((p) => world.trueReward(p.prompt, p.chosen) > world.trueReward(p.prompt, p.rejected)).length / heldOut.length;
  }
  return { ranker: new RewardModelRanker(model), report };
}

/** The learned judge as a text judge over a world's text forms (the text world scores held-out responses with it). */
export function textJudgeOf(ranker: RewardModelRanker, world: Pick<World, 'parsePrompt' | 'parseResponse'>): TextJudge {
  const encodePrompt = (text: string): readonly number[] => world.parsePrompt(text);
  const encodeResponse = (text: string): readonly number[] => world.parseResponse(text);
  return {
    name: ranker.name,
    score: (prompt, response) => ranker.score(encodePrompt(prompt), encodeResponse(response)),
    rank: (prompt, responses) => ranker.rank(encodePrompt(prompt), responses.map(encodeResponse)),
    scoreTokens: (prompt, response) => ranker.score(prompt, response),
  };
}
