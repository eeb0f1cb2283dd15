import type { Decay } from '../nn/schedule.js';
import type { DpoLossType, OptimismForm } from './losses.js';
import type { ResponseMode } from './policy.js';

/**
 * Appendix C's two data-update rules:
 *  - 'best-worst' (the paper's main setting): rank {y_w, y_l, y_ref}, chosen = best, rejected = worst;
 *  - 'replace': compare y_ref with y_w only; if y_ref wins it replaces the chosen response (y_ref, y_l),
 *    otherwise it replaces the rejected one (y_w, y_ref). A tie keeps y_w chosen (stable order), so when y_ref
 *    is y_w itself the pair is (y_w, y_w). Such a triple is KEPT in the batch, on purpose: its DPO term is
 *    constant (zero gradient, log σ(0)), but its optimism term on y_ref is not, and it belongs to this
 *    iteration's portion like any other (dropping it would change the steps per iteration and the mean's
 *    denominator, i.e. the optimism term's weight). Pinned in test/selm/algorithm.test.ts.
 */
export type UpdateRule = 'best-worst' | 'replace';

export interface AlgorithmConfig {
  /** Optimism coefficient α of eq. (3.2); 0 = iterative DPO. */
  alpha: number;
  /** KL coefficient β. */
  beta: number;
  /** Online iterations T (not counting the Zephyr recipe's first DPO iteration). */
  iterations: number;
  yRef: ResponseMode;
  updateRule: UpdateRule;
  /** Zephyr recipe: one plain offline DPO iteration on the first of T + 1 portions, then T online ones. */
  zephyr: boolean;
  optimismForm: OptimismForm;
  lossType: DpoLossType;
  /** Passes over each portion per iteration. */
  epochs: number;
  batchSize: number;
  /** Peak learning rate of each iteration (appendix C's decaying cycle amplitude); one value for all. */
  learningRates: number | readonly number[];
  warmupRatio: number;
  decay: Decay;
  /** Global gradient-norm clip (0 = none). */
  gradClip: number;
  weightDecay: number;
  /**
   * AdamW (the authors' setting) or plain SGD. SGD keeps the step proportional to the gradient of eq. (3.3);
   * Adam rescales every parameter's step to about lr, so on a table of logits even a tiny optimism gradient
   * moves a logit as far as the DPO gradient does.
   */
  optimizer: 'adamw' | 'sgd';
  /**
   * The IPO loss's log-probs: 'average' over response tokens, as TRL feeds IPO (`average_log_prob` for
   * loss_type 'ipo'), or 'sum' (log π(y|x) itself, this project's form before). Other losses always sum.
   */
  ipoLogProbs: 'average' | 'sum';
  /** Steps per logged record: metrics averaged over the window, as TRL's `logging_steps` (1 = every step). */
  loggingSteps: number;
}

export const DEFAULT_ALGORITHM: AlgorithmConfig = {
  alpha: 0.01,
  beta: 0.1,
  iterations: 3,
  yRef: 'sample',
  updateRule: 'best-worst',
  zephyr: false,
  optimismForm: 'authors',
  lossType: 'sigmoid',
  epochs: 2,
  batchSize: 16,
  learningRates: 0.01,
  warmupRatio: 0.1,
  decay: 'cosine',
  gradClip: 1,
  weightDecay: 0,
  optimizer: 'adamw',
  ipoLogProbs: 'average',
  loggingSteps: 1,
};

/** Every problem with a config, as 'field: why' lines (empty when valid). */
export function validateAlgorithmConfig(c: AlgorithmConfig): string[] {
  const p: string[] = [];
  const num = (name: string, v: unknown, ok: (x: number) => boolean, rule: string): void => {
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) p.push(`${name}: must be ${rule}, got ${JSON.stringify(v)}`);
  };
  num('alpha', c.alpha, (x) => x >= 0, 'a number >= 0');
  num('beta', c.beta, (x) => x > 0, 'a number > 0');
  num('iterations', c.iterations, (x) => Number.isInteger(x) && x >= 1, 'an integer >= 1');
  num('epochs', c.epochs, (x) => Number.isInteger(x) && x >= 1, 'an integer >= 1');
  num('batchSize', c.batchSize, (x) => Number.isInteger(x) && x >= 1, 'an integer >= 1');
  num('warmupRatio', c.warmupRatio, (x) => x >= 0 && x <= 1, 'in [0, 1]');
  num('gradClip', c.gradClip, (x) => x >= 0, 'a number >= 0 (0 = no clipping)');
  num('weightDecay', c.weightDecay, (x) => x >= 0, 'a number >= 0');
  if (c.ipoLogProbs !== 'average' && c.ipoLogProbs !== 'sum')
    p.push(`ipoLogProbs: must be 'average' or 'sum', got ${JSON.stringify(c.ipoLogProbs)}`);
  num('loggingSteps', c.loggingSteps, (x) => Number.isInteger(x) && x >= 1, 'an integer >= 1');
  if (c.optimizer !== 'adamw' && c.optimizer !== 'sgd') p.push(`optimizer: must be 'adamw' or 'sgd', got ${JSON.stringify(c.optimizer)}`);
  if (c.yRef !== 'greedy' && c.yRef !== 'sample') p.push(`yRef: must be 'greedy' or 'sample', got ${JSON.stringify(c.yRef)}`);
  if (c.updateRule !== 'best-worst' && c.updateRule !== 'replace')
    p.push(`updateRule: must be 'best-worst' or 'replace', got ${JSON.stringify(c.updateRule)}`);
  if (typeof c.zephyr !== 'boolean') p.push(`zephyr: must be true or false, got ${JSON.stringify(c.zephyr)}`);
  if (c.optimismForm !== 'paper' && c.optimismForm !== 'authors')
    p.push(`optimismForm: must be 'paper' or 'authors', got ${JSON.stringify(c.optimismForm)}`);
  if (!['sigmoid', 'ipo', 'hinge'].includes(c.lossType))
    p.push(`lossType: must be 'sigmoid', 'ipo' or 'hinge', got ${JSON.stringify(c.lossType)}`);
  if (!['constant', 'linear', 'cosine'].includes(c.decay))
    p.push(`decay: must be 'constant', 'linear' or 'cosine', got ${JSON.stringify(c.decay)}`);
  const lrs = typeof c.learningRates === 'number' ? [c.learningRates] : c.learningRates;
  if (!Array.isArray(lrs) || lrs.length === 0)
    p.push(`learningRates: must be a number or a non-empty list, got ${JSON.stringify(c.learningRates)}`);
  else {
    lrs.forEach((lr, i) => num(`learningRates[${i}]`, lr, (x) => x > 0, 'a number > 0'));
    const expected = totalIterations(c);
    if (typeof c.learningRates !== 'number' && lrs.length !== expected && Number.isInteger(c.iterations)) {
      p.push(
        `learningRates: has ${lrs.length} peaks, needs one per iteration (${expected}${c.zephyr ? ', the Zephyr DPO iteration included' : ''})`,
      );
    }
  }
  return p;
}

/** Iterations actually trained: T, plus the Zephyr recipe's DPO iteration. */
export function totalIterations(c: Pick<AlgorithmConfig, 'iterations' | 'zephyr'>): number {
  return c.iterations + (c.zephyr ? 1 : 0);
}

/** The peak learning rate of iteration `index` (0-based over all trained iterations). */
export function peakLearningRate(c: AlgorithmConfig, index: number): number {
  return typeof c.learningRates === 'number' ? c.learningRates : c.learningRates[index]!;
}

/** Splits D into `count` disjoint, contiguous portions of sizes differing by at most one, in D's order. */
export function splitPortions<T>(data: readonly T[], count: number): T[][] {
  if (!Number.isInteger(count) || count < 1) throw new Error(`splitPortions: count must be a positive integer, got ${count}`);
  if (data.length < count) throw new Error(`splitPortions: ${data.length} preference triples cannot fill ${count} portions`);
  return Array.from({ length: count }, (_, t) =>
    data.slice(Math.floor((t * data.length) / count), Math.floor(((t + 1) * data.length) / count)),
  );
}
