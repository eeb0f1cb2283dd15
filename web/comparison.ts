/**
 * The page's one interface to the lab for the step-through and the seeds panels. A comparison is one bandit
 * world (the table, or the smooth world whose RBF features let an update on one response reach its
 * neighbours: src/selm/policies/smooth.ts) and up to four methods of Algorithm 1 from the same π_SFT and seed:
 *  - DPO (α = 0) and SELM (α) at the chosen training budget (per-iteration learning rate at a fixed 4 epochs);
 *  - DPO*: iterative DPO at the budget that did best on separate tuning seeds (`tuneDpoStar`), the fair
 *    baseline for "SELM explores better" (issue 12);
 *  - tempered y_ref: DPO whose y_ref is sampled from π_ref at temperature τ > 1 (passive exploration).
 * `runComparison` records, per method and iteration, the portion's prompts, the sampled y_ref, the ranked
 * triple, mean r*, the found rate and the policy; `runSeeds` keeps the final numbers over many seeds.
 *
 * Both run the lab's own comparison unit (src/lab/exploration.ts's runComparisonSeed, which the study and
 * `selm demo` run): no loop of their own. DPO and SELM train exactly as `selm train` does (same streams).
 */
import { DEFAULT_BANDIT_EXPERIMENT } from '../src/lab/config.js';
import { runComparisonSeed, type ComparisonMethod, type IterationMetrics } from '../src/lab/exploration.js';
import { argmax } from '../src/lab/study.js';
import { makeBanditWorld, validateBanditConfig, type BanditConfig } from '../src/lab/worlds/bandit.js';
import { splitPortions, totalIterations, validateAlgorithmConfig, type AlgorithmConfig } from '../src/selm/algorithm.js';
import type { Policy } from '../src/selm/policy.js';

/** The page shows no transfer ratio, so its runs skip the lab's transfer probe, work whose result it never reads. */
const NO_TRANSFER = { transferFor: [] } as const;
export interface ComparisonSettings {
  /** Optimism coefficient α of eq. (3.2). */
  alpha: number;
  /** KL coefficient β of eq. (2.3). */
  beta: number;
  /** Online iterations T of Algorithm 1. */
  iterations: number;
  seed: number;
  /** RBF feature width of the policy in response steps: 0 = the table world (no generalisation). */
  featureWidth: number;
  /** The training budget of DPO, SELM and tempered y_ref: the per-iteration SGD learning rate (4 epochs). */
  learningRate: number;
  /** DPO*'s learning rate (from `tuneDpoStar`), or null to leave DPO* out. */
  dpoStarLearningRate: number | null;
  /** The tempered control's y_ref temperature (> 1), or null to leave it out. */
  temperature: number | null;
}

/** The demo's bandit settings (`selm demo`'s study: β 0.5, T 3, lr 3), in the smooth world of width 2. */
export const DEFAULT_COMPARISON: ComparisonSettings = {
  alpha: DEFAULT_BANDIT_EXPERIMENT.algorithm.alpha,
  beta: DEFAULT_BANDIT_EXPERIMENT.algorithm.beta,
  iterations: DEFAULT_BANDIT_EXPERIMENT.algorithm.iterations,
  seed: 0,
  featureWidth: 2,
  learningRate: 3,
  dpoStarLearningRate: null,
  temperature: 2,
};

/** The budget axis (the demo study's), and the seeds DPO*'s budget is tuned on (never shown as results). */
export const LEARNING_RATES = [1, 3, 10, 30, 100, 300, 1000] as const;
export const TUNING_SEEDS: readonly number[] = Array.from({ length: 10 }, (_, i) => 1000 + i);

export const METHOD = { dpo: 'DPO', selm: 'SELM', dpoStar: 'DPO*', tempered: 'tempered y_ref' } as const;

/** The world's name in the page's captions: the table world, or the smooth world with its feature width. */
export function worldLabel(featureWidth: number): string {
  return featureWidth > 0 ? `smooth world (width ${featureWidth})` : 'table world';
}

export function worldOf(settings: Pick<ComparisonSettings, 'featureWidth'>): BanditConfig {
  return { ...(DEFAULT_BANDIT_EXPERIMENT.world as BanditConfig), featureWidth: settings.featureWidth };
}

export function algorithmOf(settings: Pick<ComparisonSettings, 'beta' | 'iterations'>): AlgorithmConfig {
  return { ...DEFAULT_BANDIT_EXPERIMENT.algorithm, beta: settings.beta, iterations: settings.iterations };
}

/** A method of the page's comparisons, at the bandit experiment's epochs per iteration. */
function m(name: string, alpha: number, learningRate: number, yRefTemperature = 1): ComparisonMethod {
  return { name, alpha, learningRate, epochs: DEFAULT_BANDIT_EXPERIMENT.algorithm.epochs, yRefTemperature };
}

/** The methods these settings run, in the order the page lists them. */
export function methodsOf(s: ComparisonSettings): ComparisonMethod[] {
  return [
    m(METHOD.dpo, 0, s.learningRate),
    m(METHOD.selm, s.alpha, s.learningRate),
    ...(s.dpoStarLearningRate === null ? [] : [m(METHOD.dpoStar, 0, s.dpoStarLearningRate)]),
    ...(s.temperature === null ? [] : [m(METHOD.tempered, 0, s.learningRate, s.temperature)]),
  ];
}

/** Every problem with the settings, as 'name: why' lines (empty when valid). */
export function validateComparison(s: ComparisonSettings): string[] {
  const problems = [...validateAlgorithmConfig({ ...algorithmOf(s), alpha: s.alpha, learningRates: s.learningRate })];
  problems.push(...validateBanditConfig(worldOf(s)));
  if (!(s.alpha > 0)) problems.push(`alpha: SELM needs α > 0 (α = 0 is the DPO run beside it), got ${s.alpha}`);
  if (!Number.isInteger(s.seed) || s.seed < 0) problems.push(`seed: must be an integer >= 0, got ${s.seed}`);
  if (!(s.learningRate > 0)) problems.push(`learningRate: must be > 0, got ${s.learningRate}`);
  if (s.dpoStarLearningRate !== null && !(s.dpoStarLearningRate > 0))
    problems.push(`dpoStarLearningRate: must be > 0, got ${s.dpoStarLearningRate}`);
  if (s.temperature !== null && !(s.temperature > 1)) problems.push(`temperature: must be > 1, got ${s.temperature}`);
  return problems;
}

function check(settings: ComparisonSettings): void {
  const problems = validateComparison(settings);
  if (problems.length > 0) throw new Error(problems.join('; '));
}

/** One prompt of D_t through steps 2 and 3 of Algorithm 1 (responses are indices into the task's K). */
export interface TripleRecord {
  task: number;
  instance: number;
  /** The offline pair of D as labelled: y_w, y_l. */
  offeredChosen: number;
  offeredRejected: number;
  /** y_ref ~ π_ref(·|x), step 2. */
  yRef: number;
  /** The best and the worst of {y_w, y_l, y_ref} by the ranker, step 3: the pair trained on in step 4. */
  chosen: number;
  rejected: number;
}

export interface IterationRecord {
  /** 0 is π_SFT (no triples); t ≥ 1 the policy after iteration t. */
  iteration: number;
  /** Mean r* on held-out prompts, exact over y ~ π. */
  meanReward: number;
  /** Share of tasks whose greedy response is on the better hill. */
  found: number;
  /** π(·|task) for every task, [tasks][K]. */
  probs: number[][];
  triples: TripleRecord[];
}

export interface MethodTrace {
  /** 'DPO', 'SELM', 'DPO*' or 'tempered y_ref' (METHOD). */
  name: string;
  method: ComparisonMethod;
  records: IterationRecord[];
}

export interface ComparisonRun {
  settings: ComparisonSettings;
  methods: MethodTrace[];
  /** r*(task, k), [tasks][K]. */
  rewards: number[][];
  /** max_y r*, the ceiling of every r* chart. */
  bestReward: number;
}

function probsOf(policy: Pick<Policy, 'responseLogProbs'>, tasks: number): number[][] {
  return Array.from({ length: tasks }, (_, g) => Array.from(policy.responseLogProbs!([g, 0]), Math.exp));
}

/** Runs every method for one seed and records each iteration of Algorithm 1 (see the module comment). */
export function runComparison(settings: ComparisonSettings): ComparisonRun {
  check(settings);
  const world = worldOf(settings);
  const algorithm = algorithmOf(settings);
  const w = makeBanditWorld(world, settings.seed);
  const portions = splitPortions(w.preferences, totalIterations(algorithm));
  const methods = methodsOf(settings);
  const recorded = new Map<string, { probs: number[][]; triples: TripleRecord[] }>();
  const result = runComparisonSeed(world, algorithm, methods, settings.seed, NO_TRANSFER, (name, t, policy, data) => {
    const portion = portions[t - 1]!;
    const triples = data.map(
      (d, i): TripleRecord => ({
        task: d.prompt[0]!,
        instance: d.prompt[1]!,
        offeredChosen: portion[i]!.chosen[0]!,
        offeredRejected: portion[i]!.rejected[0]!,
        yRef: d.yRef![0]!,
        chosen: d.chosen[0]!,
        rejected: d.rejected[0]!,
      }),
    );
    recorded.set(`${name}/${t}`, { probs: probsOf(policy, world.tasks), triples });
  });
  const sftProbs = w.sftLogProbs.map((row) => row.map(Math.exp));
  const traces = methods.map(
    (m): MethodTrace => ({
      name: m.name,
      method: m,
      records: result.methods[m.name]!.map((metrics: IterationMetrics, t) => ({
        iteration: t,
        meanReward: metrics.meanReward,
        found: metrics.found,
        ...(t === 0 ? { probs: sftProbs, triples: [] } : recorded.get(`${m.name}/${t}`)!),
      })),
    }),
  );
  const bestReward = Math.max(...w.rewards.map((r) => Math.max(...r)));
  return { settings, methods: traces, rewards: w.rewards.map((r) => [...r]), bestReward };
}

/** DPO*'s budget: the learning rate with the highest mean final r* over TUNING_SEEDS (the first on a tie). */
export interface DpoStarTuning {
  learningRate: number;
  /** Mean final r* on the tuning seeds, per learning rate of LEARNING_RATES. */
  meanReward: number[];
}

/**
 * Tunes DPO*'s budget for these settings' world, β and T, as the demo study does (src/lab/study.ts), on the
 * tuning seeds only, one seed at a time so a page can repaint between them.
 */
export async function tuneDpoStar(
  settings: Pick<ComparisonSettings, 'featureWidth' | 'beta' | 'iterations'>,
  options: { onProgress?: (fraction: number) => void; between?: () => Promise<void> } = {},
): Promise<DpoStarTuning> {
  const world = worldOf(settings);
  const algorithm = algorithmOf(settings);
  const methods = LEARNING_RATES.map((lr) => m(`lr ${lr}`, 0, lr));
  const totals = LEARNING_RATES.map(() => 0);
  for (const [i, seed] of TUNING_SEEDS.entries()) {
    const r = runComparisonSeed(world, algorithm, methods, seed, NO_TRANSFER);
    methods.forEach((m, j) => (totals[j]! += r.methods[m.name]!.at(-1)!.meanReward));
    options.onProgress?.((i + 1) / TUNING_SEEDS.length);
    if (options.between) await options.between();
  }
  const meanReward = totals.map((t) => t / TUNING_SEEDS.length);
  // The study's rule: the best final mean r*, the first (smallest budget) on a tie.
  const best = argmax([...LEARNING_RATES.keys()], (j) => meanReward[j]!);
  return { learningRate: LEARNING_RATES[best]!, meanReward };
}

/** A seed's outcome per method: final mean r*, found rate (share of tasks), mass on the better hill. */
export interface SeedOutcome {
  seed: number;
  finalReward: Record<string, number>;
  found: Record<string, number>;
  betterHillMass: Record<string, number>;
}

export interface SeedsRun {
  settings: ComparisonSettings;
  methods: string[];
  outcomes: SeedOutcome[];
  bestReward: number;
}

/**
 * Runs every method over `seeds` (settings.seed ignored), one seed at a time so a page can repaint between
 * them (`between` is awaited after each); reports progress in [0, 1].
 */
export async function runSeeds(
  settings: ComparisonSettings,
  seeds: readonly number[],
  options: { onProgress?: (fraction: number) => void; between?: () => Promise<void> } = {},
): Promise<SeedsRun> {
  check({ ...settings, seed: seeds[0] ?? 0 });
  const world = worldOf(settings);
  const algorithm = algorithmOf(settings);
  const methods = methodsOf(settings);
  const outcomes: SeedOutcome[] = [];
  let bestReward = 0;
  for (const [i, seed] of seeds.entries()) {
    const r = runComparisonSeed(world, algorithm, methods, seed, NO_TRANSFER);
    const w = makeBanditWorld(world, seed);
    bestReward = Math.max(bestReward, ...w.rewards.map((row) => Math.max(...row)));
    const pick = (key: 'meanReward' | 'found' | 'massBetter'): Record<string, number> =>
      Object.fromEntries(methods.map((m) => [m.name, r.methods[m.name]!.at(-1)![key]]));
    outcomes.push({ seed, finalReward: pick('meanReward'), found: pick('found'), betterHillMass: pick('massBetter') });
    options.onProgress?.((i + 1) / seeds.length);
    if (options.between) await options.between();
  }
  return { settings, methods: methods.map((m) => m.name), outcomes, bestReward };
}
