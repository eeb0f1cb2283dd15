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
import { warmupDecay } from '../nn/schedule.js';
import { selmLoss, type PreferenceLogps, type ReferenceResponseLogps } from './losses.js';
import { MetricsWindow, preferenceMetrics, type PreferenceMetrics } from './metrics.js';
import type { Ranker } from './rankers.js';
import type { Policy } from './policy.js';
import type { Demonstration, Preference, Tokens } from './types.js';
import {
  peakLearningRate,
  splitPortions,
  totalIterations,
  validateAlgorithmConfig,
  type AlgorithmConfig,
  type UpdateRule,
} from './algorithm-config.js';

export {
  DEFAULT_ALGORITHM,
  peakLearningRate,
  splitPortions,
  totalIterations,
  validateAlgorithmConfig,
  type AlgorithmConfig,
  type UpdateRule,
} from './algorithm-config.js';

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
