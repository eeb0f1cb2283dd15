/**
 * Exploration, measured directly in the bandit world (issue 12): one seed of a comparison between methods of
 * Algorithm 1 (DPO, SELM, the DPO* and tempered-y_ref controls, ...), with per-iteration metrics that say what
 * each method found, not only how its mean reward moved. Everything is exact: the bandit's policies give
 * π(·|x) over all of Y, so no metric is sampled except the training data itself.
 *
 * `runComparisonSeed` is the unit the study (study.ts), the worker threads (node/parallel.ts) and the teaching
 * page share: one world seed, a list of methods, per-iteration metrics back. Every method of a seed sees the
 * same world, the same preference set, and generators seeded alike (common random numbers), so differences
 * between methods are paired by seed. Browser-safe.
 */
import { Generator, noGrad } from '../autograd/index.js';
import { runAlgorithm, type AlgorithmConfig, type StepRecord, type TrainingTriple } from '../selm/algorithm.js';
import type { Policy } from '../selm/policy.js';
import { streamSeed } from './config.js';
import { TrueRewardRanker } from './judges.js';
import { banditNeighbour, transferRatio } from './transfer.js';
import { policyWarnings, type RunWarning } from './divergence.js';
import { banditPolicy, makeBanditWorld, type BanditConfig, type BanditWorld } from './worlds/bandit.js';

/** One arm of a comparison: Algorithm 1 with this α, per-iteration budget and y_ref temperature. */
export interface ComparisonMethod {
  name: string;
  /** Optimism coefficient (0 = iterative DPO). */
  alpha: number;
  /** Peak learning rate of each iteration. */
  learningRate: number;
  /** Passes over each portion per iteration: with the learning rate, the per-iteration budget. */
  epochs: number;
  /**
   * y_ref ~ π_ref^{1/τ} (τ > 1: the tempered-y_ref control of passive exploration), sampled even where the
   * algorithm's y_ref is greedy; 1 = the algorithm's own y_ref (greedy or sampled from π_ref).
   */
  yRefTemperature: number;
}

/**
 * The exploration metrics of one model, averaged over the world's rows: its tasks, or its (task, context)
 * pairs in the prompt-context variant (which the held-out prompts share).
 */
export interface IterationMetrics {
  /** 0 = the SFT model. */
  iteration: number;
  /** E_{y~πθ}[r*], exact. */
  meanReward: number;
  /** r* of the greedy response. */
  greedyReward: number;
  /** Share of rows whose greedy response is on the better hill (r* above the local optimum's best). */
  found: number;
  /** Probability mass πθ puts on the better hill. */
  massBetter: number;
  /** Share of this iteration's ranked pairs (y_w, y_l) containing a response better than the local optimum. */
  touch: number;
  /** Mean of max_y r* − r*(y_ref) over this iteration's y_ref. */
  yRefRegret: number;
  /** KL(πθ ‖ π_SFT), exact, mean over rows. */
  klSft: number;
  /**
   * First-order transfer of the iteration's trained margins to untrained neighbouring responses at its π_ref
   * (transfer.ts): 0 in a table, > 0 where the policy generalises across responses; NaN for the SFT model
   * (and where no pair has untrained neighbours, or the probe was skipped).
   */
  transfer: number;
  /** The training loss and its DPO and optimism terms on the iteration's last step (0 for the SFT model). */
  loss: number;
  lossDpo: number;
  lossOptimism: number;
}

/** Figure 4 on four populations: E_{y~pop}[r̂_A(y) − r̂_B(y)] after iteration 1 and what the identity predicts. */
export interface Figure4Populations {
  /** r̂ = β log(πθ/π_ref), so the difference is β(log π_A − log π_B): π_ref cancels. */
  population: 'π_ref' | 'uniform' | 'A' | 'B';
  value: number;
  /** −β(KL(π_ref‖π_A) − KL(π_ref‖π_B)) on π_ref; β KL(π_A‖π_B) on A; −β KL(π_B‖π_A) on B; none on uniform. */
  predicted: number | null;
}

export interface SeedComparison {
  seed: number;
  /** Per method, the metrics of the SFT model (index 0) and of every iteration. */
  methods: Record<string, IterationMetrics[]>;
  /** Figure 4 between the named pair of methods (when asked for). */
  figure4?: Figure4Populations[];
  /** Exploding weights or gradients of any method on this seed (divergence.ts), absent when none. */
  warnings?: RunWarning[];
  /** With `recordPolicies`: π(·|task 0) per method and iteration (0 = SFT), and r*(task 0, ·). */
  policies?: { rewards: number[]; methods: Record<string, number[][]> };
}

export interface ComparisonOptions {
  /** Compute Figure 4's populations between these two methods (A, B), after iteration 1. */
  figure4?: [string, string];
  /** Keep π(·|task 0) of every iteration of every method (for the π(y)-per-iteration figure). */
  recordPolicies?: boolean;
  /**
   * The methods whose transfer probe runs (others get NaN; absent = every method): the probe costs two
   * gradients per iteration, tuning needs only the final mean r*, and the report shows it for its roles only.
   */
  transferFor?: readonly string[];
}

/** log π(·|row) for every row of the world (task, or (task, context) pair). */
function logProbRows(policy: Policy, world: BanditWorld): Float64Array[] {
  return Array.from({ length: world.rows }, (_, g) => noGrad(() => policy.responseLogProbs!(world.rowPrompt(g))));
}

function kl(p: Float64Array, q: Float64Array): number {
  let s = 0;
  for (let k = 0; k < p.length; k++) s += Math.exp(p[k]!) * (p[k]! - q[k]!);
  return s;
}

/** Responses better than the local optimum: r* above the best r* of the demonstrations' half of the line. */
export function betterHill(world: BanditWorld, row: number): boolean[] {
  const rewards = world.rewards[row]!;
  const half = Math.floor(rewards.length / 2);
  const local = Math.max(...rewards.slice(0, half));
  return rewards.map((r) => r > local + 1e-12);
}

/** The metrics of `policy`; `data` is the iteration's ranked triples (none for the SFT model). */
export function explorationMetrics(
  world: BanditWorld,
  policy: Policy,
  iteration: number,
  data: readonly TrainingTriple[] | null,
): IterationMetrics {
  const rowCount = world.rows;
  const sft = world.sftLogProbs.map((r) => Float64Array.from(r));
  const rows = logProbRows(policy, world);
  let meanReward = 0;
  let greedyReward = 0;
  let found = 0;
  let massBetter = 0;
  let klSft = 0;
  rows.forEach((lp, g) => {
    const r = world.rewards[g]!;
    const better = betterHill(world, g);
    let best = 0;
    lp.forEach((v, k) => {
      const p = Math.exp(v);
      meanReward += p * r[k]!;
      if (better[k]) massBetter += p;
      if (v > lp[best]!) best = k;
    });
    greedyReward += r[best]!;
    if (better[best]) found++;
    klSft += kl(lp, sft[g]!);
  });
  let touch = 0;
  let regret = 0;
  if (data !== null && data.length > 0) {
    for (const d of data) {
      const better = betterHill(world, world.rowOf(d.prompt));
      if (better[d.chosen[0]!] || better[d.rejected[0]!]) touch++;
      if (d.yRef !== null) regret += world.bestReward(d.prompt) - world.trueReward(d.prompt, d.yRef);
    }
    touch /= data.length;
    regret /= data.length;
  }
  return {
    iteration,
    meanReward: meanReward / rowCount,
    greedyReward: greedyReward / rowCount,
    found: found / rowCount,
    massBetter: massBetter / rowCount,
    touch,
    yRefRegret: regret,
    klSft: klSft / rowCount,
    transfer: Number.NaN,
    loss: 0,
    lossDpo: 0,
    lossOptimism: 0,
  };
}

/**
 * Watches one method's run: the latest step's losses (recorded with each iteration's metrics) and, for the lab's
 * divergence checks (divergence.ts), the largest gradient norm over its steps, then its final weights; warnings
 * go into the seed's result.
 */
export function divergenceWatch(): {
  step(r: StepRecord): void;
  losses(): { loss: number; lossDpo: number; lossOptimism: number };
  finish(out: SeedComparison, method: string, policy: Policy, iteration: number): void;
} {
  let grad = { norm: 0, iteration: 0, step: 0 };
  let last = { loss: 0, lossDpo: 0, lossOptimism: 0 };
  return {
    step: (r) => {
      last = { loss: r.loss, lossDpo: r['loss/dpo'], lossOptimism: r['loss/optimism'] };
      if (!(r.grad_norm <= grad.norm)) grad = { norm: r.grad_norm, iteration: r.iteration, step: r.step };
    },
    losses: () => last,
    finish: (out, method, policy, iteration) => {
      // One pass over the weights: the largest |w|, or infinity at the first one that is not finite.
      let maxWeight = 0;
      scan: for (const p of policy.parameters())
        for (const v of p.data) {
          if (!Number.isFinite(v)) {
            maxWeight = Number.POSITIVE_INFINITY;
            break scan;
          }
          maxWeight = Math.max(maxWeight, Math.abs(v));
        }
      const found = policyWarnings(out.seed, method, iteration, maxWeight, grad);
      if (found.length > 0) out.warnings = [...(out.warnings ?? []), ...found];
    },
  };
}

/** Whether a comparison measures `method`'s transfer ratio (every method unless `transferFor` lists others). */
export function wantsTransfer(options: ComparisonOptions, method: string): boolean {
  return !options.transferFor || options.transferFor.includes(method);
}

/** Figure 4's four populations between π_A and π_B that share the reference `ref` (exact sums, mean over tasks). */
export function figure4Populations(
  rowsA: Float64Array[],
  rowsB: Float64Array[],
  rowsRef: Float64Array[],
  beta: number,
): Figure4Populations[] {
  const tasks = rowsA.length;
  const acc = { ref: 0, uniform: 0, a: 0, b: 0, predRef: 0, predA: 0, predB: 0 };
  for (let g = 0; g < tasks; g++) {
    const a = rowsA[g]!;
    const b = rowsB[g]!;
    const ref = rowsRef[g]!;
    const K = a.length;
    for (let k = 0; k < K; k++) {
      const d = beta * (a[k]! - b[k]!);
      acc.ref += Math.exp(ref[k]!) * d;
      acc.uniform += d / K;
      acc.a += Math.exp(a[k]!) * d;
      acc.b += Math.exp(b[k]!) * d;
    }
    acc.predRef += -beta * (kl(ref, a) - kl(ref, b));
    acc.predA += beta * kl(a, b);
    acc.predB += -beta * kl(b, a);
  }
  return [
    { population: 'π_ref', value: acc.ref / tasks, predicted: acc.predRef / tasks },
    { population: 'uniform', value: acc.uniform / tasks, predicted: null },
    { population: 'A', value: acc.a / tasks, predicted: acc.predA / tasks },
    { population: 'B', value: acc.b / tasks, predicted: acc.predB / tasks },
  ];
}

/** Sees every method's policy and ranked triples after each iteration (in process only: not part of a worker's job). */
export type IterationObserver = (method: string, iteration: number, policy: Policy, data: readonly TrainingTriple[]) => void;

/** Algorithm 1's config for one method of a comparison: its α, budget and y_ref rule over the shared settings. */
export function methodAlgorithm(algorithm: AlgorithmConfig, m: ComparisonMethod): AlgorithmConfig {
  return {
    ...algorithm,
    alpha: m.alpha,
    learningRates: m.learningRate,
    epochs: m.epochs,
    // A temperature only acts on sampled responses: the tempered control samples, whatever the y_ref mode.
    yRef: m.yRefTemperature === 1 ? algorithm.yRef : 'sample',
  };
}

/**
 * Runs every method on one seed of the bandit world (table or smooth, by `world.featureWidth`) and returns its
 * per-iteration exploration metrics. `algorithm` supplies everything a method does not set (β, T, batch size,
 * optimizer, ...). The ranker is the true reward, as in the demo. `observe` lets the teaching page's
 * step-through record what each iteration trained on.
 */
export function runComparisonSeed(
  world: BanditConfig,
  algorithm: AlgorithmConfig,
  methods: readonly ComparisonMethod[],
  seed: number,
  options: ComparisonOptions = {},
  observe?: IterationObserver,
): SeedComparison {
  const w = makeBanditWorld(world, seed);
  const out: SeedComparison = { seed, methods: {} };
  const firstIterationRows: Record<string, Float64Array[]> = {};
  const sftMetrics = explorationMetrics(w, banditPolicy(w), 0, null);
  if (options.recordPolicies) out.policies = { rewards: [...w.rewards[0]!], methods: {} };
  for (const m of methods) {
    if (out.methods[m.name]) throw new Error(`runComparisonSeed: method '${m.name}' is listed twice`);
    const config = methodAlgorithm(algorithm, m);
    const metrics: IterationMetrics[] = [sftMetrics];
    const rows: number[][] = [w.sftLogProbs[0]!.map(Math.exp)];
    const watch = divergenceWatch();
    const run = runAlgorithm(
      banditPolicy(w, m.yRefTemperature),
      w.preferences,
      new TrueRewardRanker(w.trueReward),
      config,
      new Generator(streamSeed(seed, 3)),
      {
        onStep: watch.step,
        onIterationEnd: ({ iteration, policy, reference, data }) => {
          observe?.(m.name, iteration, policy, data);
          const transfer = wantsTransfer(options, m.name)
            ? transferRatio(data, reference, banditNeighbour(world.responses), (x) => String(w.rowOf(x)))
            : Number.NaN;
          metrics.push({ ...explorationMetrics(w, policy, iteration, data), transfer, ...watch.losses() });
          if (options.recordPolicies)
            rows.push(
              Array.from(
                noGrad(() => policy.responseLogProbs!(w.rowPrompt(0))),
                Math.exp,
              ),
            );
          if (iteration === 1 && options.figure4?.includes(m.name)) firstIterationRows[m.name] = logProbRows(policy, w);
        },
      },
    );
    out.methods[m.name] = metrics;
    watch.finish(out, m.name, run.policy, config.iterations);
    if (out.policies) out.policies.methods[m.name] = rows;
  }
  if (options.figure4) {
    const [a, b] = options.figure4;
    if (!firstIterationRows[a] || !firstIterationRows[b]) throw new Error(`runComparisonSeed: Figure 4 needs methods '${a}' and '${b}'`);
    const sft = w.sftLogProbs.map((r) => Float64Array.from(r));
    out.figure4 = figure4Populations(firstIterationRows[a], firstIterationRows[b], sft, algorithm.beta);
  }
  return out;
}
