/**
 * Algorithm 1 (Self-Exploring Language Models), end to end, for any policy that implements `Policy`:
 *
 *   for t = 1..T:
 *     D_t ← the t-th of T disjoint portions of D; y_ref ~ π_ref(·|x) for each prompt of D_t      (step 2)
 *     rank {y_w, y_l, y_ref}; keep the best as chosen and the worst as rejected                    (step 3)
 *     train πθ on D_t with the SELM loss (eq. (3.2)) and let π_ref ← πθ                            (step 4)
 *
 * With α = 0 the loss is the DPO loss exactly (losses.ts), so the same driver is the iterative DPO baseline
 * of section 5.1. Options: y_ref greedy (the authors' code) or sampled (the paper's text); appendix C's
 * alternative update rule; the Zephyr recipe (one plain offline DPO iteration on a first portion, then T
 * iterations of SELM, section 5.1); the per-iteration learning-rate restart with decaying peaks (appendix C).
 * The α convention (Algorithm 1's α is our α·β) is stated once in losses.ts.
 */
import { type Generator, Tensor, div, mul, narrow, noGrad, sum } from '../autograd/index.js';
import { AdamW, SGD, clipGradNorm } from '../nn/optim.js';
import { warmupDecay, type Decay } from '../nn/schedule.js';
import { selmLoss, type DpoLossType, type OptimismForm, type PreferenceLogps, type ReferenceResponseLogps } from './losses.js';
import { MetricsWindow, preferenceMetrics, type PreferenceMetrics } from './metrics.js';
import type { Ranker } from './rankers.js';
import type { Policy, ResponseMode } from './policy.js';
import type { Demonstration, Preference, Tokens } from './types.js';

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

/** A preference triple with the y_ref it was ranked against (kept for the optimism term). */
export interface TrainingTriple extends Preference {
  yRef: Tokens | null;
}

/** Step 3 of Algorithm 1: rank the candidates and build the updated D_t (see `UpdateRule`). */
export function updatePreferences(
  portion: readonly Preference[],
  yRefs: readonly Tokens[],
  ranker: Ranker,
  rule: UpdateRule,
): TrainingTriple[] {
  if (portion.length !== yRefs.length) throw new Error(`updatePreferences: ${portion.length} triples but ${yRefs.length} responses`);
  return portion.map((triple, i) => {
    const yRef = yRefs[i]!;
    if (rule === 'best-worst') {
      const candidates = [triple.chosen, triple.rejected, yRef];
      const order = ranker.rank(triple.prompt, candidates);
      if (order.length !== 3) throw new Error(`updatePreferences: the ranker returned ${order.length} indices for 3 candidates`);
      return { prompt: triple.prompt, chosen: candidates[order[0]!]!, rejected: candidates[order[2]!]!, yRef };
    }
    const order = ranker.rank(triple.prompt, [triple.chosen, yRef]);
    return order[0] === 1
      ? { prompt: triple.prompt, chosen: yRef, rejected: triple.rejected, yRef }
      : { prompt: triple.prompt, chosen: triple.chosen, rejected: yRef, yRef };
  });
}

/** A training step's record, as metrics.jsonl stores it (names as TRL's DPOTrainer logs them). */
export interface StepRecord extends PreferenceMetrics {
  /** Trained iteration, 1..T; 0 is the Zephyr recipe's offline DPO iteration. */
  iteration: number;
  /** Step inside the iteration (0-based; in a logging window, its last step). */
  step: number;
  learning_rate: number;
  /** Fractional epoch at the end of the step (TRL's `epoch`). */
  epoch: number;
  grad_norm: number;
  /** Mean logit over the response positions of y_w / y_l (TRL's logits/chosen, logits/rejected), when the policy reports it. */
  'logits/chosen'?: number;
  'logits/rejected'?: number;
}

/** A non-finite loss stops training: which step, which term. */
export class NonFiniteLossError extends Error {
  constructor(
    readonly iteration: number,
    readonly step: number,
    readonly term: string,
    readonly value: number,
  ) {
    // Iteration -1 is the SFT stage (runSft), which has no checkpoint before it.
    super(
      iteration < 0
        ? `non-finite ${term} (${value}) during SFT, at step ${step}; training stopped`
        : `non-finite ${term} (${value}) at iteration ${iteration}, step ${step}; training stopped, the last good checkpoint is kept`,
    );
    this.name = 'NonFiniteLossError';
  }
}

/** How many optimiser steps one iteration takes on `n` triples. */
export function stepsPerIteration(n: number, c: Pick<AlgorithmConfig, 'epochs' | 'batchSize'>): number {
  return c.epochs * Math.ceil(n / c.batchSize);
}

/** log-probs of many pairs, in chunks so a GPT's activations stay small. */
function batchedLogProbs(policy: Policy, prompts: readonly Tokens[], responses: readonly Tokens[], chunk = 64): Float64Array {
  const out = new Float64Array(prompts.length);
  noGrad(() => {
    for (let i = 0; i < prompts.length; i += chunk) {
      const lp = policy.logProbs(prompts.slice(i, i + chunk), responses.slice(i, i + chunk));
      out.set(Float64Array.from(lp.data), i);
    }
  });
  return out;
}

function constant(values: Float64Array, indices: readonly number[], like: Tensor): Tensor {
  const data = indices.map((i) => values[i]!);
  return new Tensor(like.dtype === 'float64' ? Float64Array.from(data) : Float32Array.from(data), [indices.length]);
}

/** A seeded permutation of 0..n-1 (Fisher–Yates). */
export function permutation(n: number, generator: Generator): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = generator.int(i + 1);
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

export interface TrainIterationOptions {
  /** Iteration number for records (0 = Zephyr DPO iteration). */
  iteration: number;
  alpha: number;
  peakLr: number;
  onStep?: (record: StepRecord) => void;
  /** Records averaged over `loggingSteps` steps (and the iteration's last, shorter window). */
  onLog?: (record: StepRecord) => void;
}

const meanOf = (values: Float64Array, from: number, to: number): number => {
  let s = 0;
  for (let i = from; i < to; i++) s += values[i]!;
  return s / (to - from);
};

/**
 * Step 4 of Algorithm 1: trains `policy` on the updated D_t against the frozen `reference` with the SELM loss
 * (DPO when α = 0 or when a triple has no y_ref), a fresh AdamW and a warm-up/decay schedule of its own
 * (appendix C's restart). Throws NonFiniteLossError, before updating anything, on a non-finite loss term.
 */
export function trainIteration(
  policy: Policy,
  reference: Policy,
  data: readonly TrainingTriple[],
  config: AlgorithmConfig,
  generator: Generator,
  options: TrainIterationOptions,
): void {
  const prompts = data.map((d) => d.prompt);
  const refChosen = batchedLogProbs(
    reference,
    prompts,
    data.map((d) => d.chosen),
  );
  const refRejected = batchedLogProbs(
    reference,
    prompts,
    data.map((d) => d.rejected),
  );
  const withRef = options.alpha !== 0 && data.every((d) => d.yRef !== null);
  const refResponse = withRef
    ? batchedLogProbs(
        reference,
        prompts,
        data.map((d) => d.yRef!),
      )
    : null;

  const totalSteps = stepsPerIteration(data.length, config);
  const schedule = warmupDecay({ peakLr: options.peakLr, totalSteps, warmupRatio: config.warmupRatio, decay: config.decay });
  const params = policy.parameters();
  const optimizer =
    config.optimizer === 'sgd'
      ? new SGD(params, { lr: options.peakLr, weightDecay: config.weightDecay })
      : new AdamW(params, { lr: options.peakLr, weightDecay: config.weightDecay });
  const stepsPerEpoch = Math.ceil(data.length / config.batchSize);
  const window = new MetricsWindow<StepRecord>();
  let step = 0;
  for (let epoch = 0; epoch < config.epochs; epoch++) {
    const order = permutation(data.length, generator);
    for (let start = 0; start < order.length; start += config.batchSize) {
      const idx = order.slice(start, start + config.batchSize);
      const batch = idx.map((i) => data[i]!);
      const B = batch.length;
      // One forward over chosen, rejected and y_ref rows together: one graph, one pass through the model.
      const rows = [...batch.map((d) => d.chosen), ...batch.map((d) => d.rejected), ...(withRef ? batch.map((d) => d.yRef!) : [])];
      const rowPrompts = [...batch.map((d) => d.prompt), ...batch.map((d) => d.prompt), ...(withRef ? batch.map((d) => d.prompt) : [])];
      const summed = policy.logProbs(rowPrompts, rows);
      const logitMeans = policy.lastMeanLogits ?? null;
      // TRL's IPO sees per-token averages: every log-prob (policy and reference) divided by its response length.
      const average = config.lossType === 'ipo' && config.ipoLogProbs === 'average';
      const lengths = Float64Array.from(rows, (y) => Math.max(1, y.length));
      const all = average
        ? div(
            summed,
            constant(
              lengths,
              rows.map((_, i) => i),
              summed,
            ),
          )
        : summed;
      const ref = (values: Float64Array, offset: number): Tensor =>
        average
          ? div(
              constant(values, idx, all),
              constant(
                lengths,
                idx.map((_, k) => offset + k),
                all,
              ),
            )
          : constant(values, idx, all);
      const logps: PreferenceLogps = {
        policyChosen: narrow(all, 0, 0, B),
        policyRejected: narrow(all, 0, B, B),
        referenceChosen: ref(refChosen, 0),
        referenceRejected: ref(refRejected, B),
      };
      const response: ReferenceResponseLogps | undefined = withRef
        ? { policyResponse: narrow(all, 0, 2 * B, B), referenceResponse: ref(refResponse!, 2 * B) }
        : undefined;
      const lossOptions = {
        beta: config.beta,
        alpha: withRef ? options.alpha : 0,
        lossType: config.lossType,
        optimismForm: config.optimismForm,
      };
      const metrics = preferenceMetrics(logps, response, lossOptions);
      for (const term of ['loss/dpo', 'loss/optimism', 'loss'] as const) {
        if (!Number.isFinite(metrics[term])) throw new NonFiniteLossError(options.iteration, step, term, metrics[term]);
      }
      const loss = response
        ? selmLoss(logps, response, lossOptions)
        : selmLoss(logps, { policyResponse: logps.policyChosen }, { ...lossOptions, alpha: 0 });
      optimizer.zeroGrad();
      loss.backward();
      const gradNorm = clipGradNorm(params, config.gradClip > 0 ? config.gradClip : Infinity);
      if (!Number.isFinite(gradNorm)) throw new NonFiniteLossError(options.iteration, step, 'grad_norm', gradNorm);
      const lr = schedule(step);
      optimizer.lr = lr;
      optimizer.step();
      const record: StepRecord = {
        iteration: options.iteration,
        step,
        learning_rate: lr,
        epoch: (step + 1) / stepsPerEpoch,
        grad_norm: gradNorm,
        ...metrics,
      };
      if (logitMeans && logitMeans.length >= 2 * B) {
        record['logits/chosen'] = meanOf(logitMeans, 0, B);
        record['logits/rejected'] = meanOf(logitMeans, B, 2 * B);
      }
      options.onStep?.(record);
      window.add(record);
      if (window.size >= config.loggingSteps || step === totalSteps - 1) options.onLog?.(window.flush());
      step++;
    }
  }
  optimizer.zeroGrad();
}

export interface SftOptions {
  steps: number;
  batchSize: number;
  lr: number;
  warmupRatio: number;
}

/**
 * The SFT stage before Algorithm 1: maximise log π(y|x) on the demonstrations (cross-entropy on response
 * tokens), with AdamW and a cosine schedule. Returns the per-step losses (mean −log π(y|x) per token).
 */
export function runSft(
  policy: Policy,
  demos: readonly Demonstration[],
  options: SftOptions,
  generator: Generator,
  onStep?: (step: number, loss: number) => void,
): number[] {
  if (options.steps === 0) return [];
  if (demos.length === 0) throw new Error('runSft: no demonstrations');
  const params = policy.parameters();
  const optimizer = new AdamW(params, { lr: options.lr, weightDecay: 0 });
  const schedule = warmupDecay({ peakLr: options.lr, totalSteps: options.steps, warmupRatio: options.warmupRatio, decay: 'cosine' });
  const losses: number[] = [];
  let order: number[] = [];
  for (let step = 0; step < options.steps; step++) {
    if (order.length < options.batchSize) order = [...order, ...permutation(demos.length, generator)];
    const batch = order.splice(0, options.batchSize).map((i) => demos[i]!);
    const tokens = batch.reduce((a, d) => a + Math.max(1, d.response.length), 0);
    const lp = policy.logProbs(
      batch.map((d) => d.prompt),
      batch.map((d) => d.response),
    );
    // −Σ log π over the batch divided by its token count: the per-token cross-entropy of SFT trainers.
    const loss = mul(sum(lp), -1 / tokens);
    const perToken = loss.item();
    if (!Number.isFinite(perToken)) throw new NonFiniteLossError(-1, step, 'loss/sft', perToken);
    optimizer.zeroGrad();
    loss.backward();
    clipGradNorm(params, 1);
    optimizer.lr = schedule(step);
    optimizer.step();
    losses.push(perToken);
    onStep?.(step, perToken);
  }
  optimizer.zeroGrad();
  return losses;
}

export interface AlgorithmCallbacks {
  onStep?: (record: StepRecord) => void;
  /** Averaged records, one per `loggingSteps` window (what metrics.jsonl holds). */
  onLog?: (record: StepRecord) => void;
  /**
   * After iteration `iteration` trained (π_ref not yet replaced): `policy` is πθ_t, `reference` the π_ref
   * it was trained against, `data` the updated D_t. The runner evaluates and checkpoints here.
   */
  onIterationEnd?: (info: { iteration: number; policy: Policy; reference: Policy; data: readonly TrainingTriple[] }) => void;
}

export interface AlgorithmRun {
  policy: Policy;
  /** The updated D_t of each iteration trained in this call. */
  data: TrainingTriple[][];
}

/**
 * Runs Algorithm 1 from `start` (the SFT policy, or a checkpoint's policy when resuming after iteration
 * `firstIteration − 1`). D is split into T (or T + 1 with the Zephyr recipe) portions; iteration numbers are
 * 1..T, with 0 for the Zephyr DPO iteration. All randomness (y_ref sampling, batch order) comes from
 * `generator`; the ranker holds its own.
 */
export function runAlgorithm(
  start: Policy,
  preferences: readonly Preference[],
  ranker: Ranker,
  config: AlgorithmConfig,
  generator: Generator,
  callbacks: AlgorithmCallbacks = {},
  firstIteration = config.zephyr ? 0 : 1,
): AlgorithmRun {
  const problems = validateAlgorithmConfig(config);
  if (problems.length > 0) throw new Error(`Algorithm 1: invalid config: ${problems.join('; ')}`);
  const portions = splitPortions(preferences, totalIterations(config));
  const offset = config.zephyr ? 0 : 1; // iteration number of portions[0]
  let policy = start.clone();
  const trained: TrainingTriple[][] = [];
  for (let iteration = firstIteration; iteration <= config.iterations; iteration++) {
    const portion = portions[iteration - offset]!;
    const reference = policy.clone();
    let data: TrainingTriple[];
    let alpha = config.alpha;
    if (iteration === 0) {
      // Zephyr recipe: plain DPO on the offline labels, no generation (section 5.1).
      data = portion.map((t) => ({ ...t, yRef: null }));
      alpha = 0;
    } else {
      const yRefs = reference.generate(
        portion.map((t) => t.prompt),
        config.yRef,
        generator,
      );
      data = updatePreferences(portion, yRefs, ranker, config.updateRule);
    }
    trainIteration(policy, reference, data, config, generator, {
      iteration,
      alpha,
      peakLr: peakLearningRate(config, iteration - (config.zephyr ? 0 : 1)),
      ...(callbacks.onStep ? { onStep: callbacks.onStep } : {}),
      ...(callbacks.onLog ? { onLog: callbacks.onLog } : {}),
    });
    trained.push(data);
    callbacks.onIterationEnd?.({ iteration, policy, reference, data });
    // π_ref ← πθ happens at the top of the next iteration (reference = policy.clone()). Training goes on in a
    // copy, so the policy handed to the callback stays the iteration's snapshot.
    policy = policy.clone();
  }
  return { policy, data: trained };
}
