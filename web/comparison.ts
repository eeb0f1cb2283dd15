/**
 * The page's one interface to the lab for the step-through and the seeds panels: `runComparison(settings)`
 * returns, for every method the lab runs (DPO = α 0 and SELM today; any control the lab adds to `methodsOf`,
 * such as DPO*, appears here with no change to the panels), one record per iteration of Algorithm 1: the
 * portion's prompts, the sampled y_ref, the ranked triple, the resulting pair, mean r* and the policy.
 * `runSeeds(settings, seeds)` runs the same over many seeds and keeps the final numbers.
 *
 * Both run the lab's own runner (src/lab/runner.ts) over an in-memory storage: no loop of their own.
 */
import { DEFAULT_BANDIT_EXPERIMENT, type ExperimentConfig } from '../src/lab/config.js';
import { checkpointPath, loadCheckpoint, runExperiment, unitKey, type ExperimentResults } from '../src/lab/runner.js';
import { MemoryStorage } from '../src/lab/storage.js';
import { makeBanditWorld, type BanditConfig } from '../src/lab/worlds/bandit.js';
import { splitPortions, totalIterations, type TrainingTriple } from '../src/selm/algorithm.js';
import { TabularPolicy } from '../src/selm/policies/tabular.js';
import { algorithmConfig, validateSettings, type BanditSettings } from './bandit-run.js';

export type ComparisonSettings = BanditSettings;

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
  /** π(·|task) for every task, [tasks][K]. */
  probs: number[][];
  triples: TripleRecord[];
}

export interface MethodTrace {
  /** The lab's method name: 'DPO', 'SELM', or a control the lab adds. */
  name: string;
  alpha: number;
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

export function comparisonConfig(
  settings: ComparisonSettings,
  seeds: readonly number[],
  world: BanditConfig = DEFAULT_BANDIT_EXPERIMENT.world as BanditConfig,
): ExperimentConfig {
  return {
    ...DEFAULT_BANDIT_EXPERIMENT,
    name: 'page',
    world,
    seeds: [...seeds],
    alphaSweep: [],
    algorithm: algorithmConfig(settings, settings.alpha),
  };
}

function check(settings: ComparisonSettings): void {
  const problems = validateSettings(settings);
  if (problems.length > 0) throw new Error(problems.join('; '));
}

function probsOf(policy: TabularPolicy, tasks: number): number[][] {
  return Array.from({ length: tasks }, (_, g) => Array.from(policy.responseLogProbs([g, 0]), Math.exp));
}

/** Runs every method for one seed and records each iteration of Algorithm 1 (see the module comment). */
export async function runComparison(
  settings: ComparisonSettings,
  world: BanditConfig = DEFAULT_BANDIT_EXPERIMENT.world as BanditConfig,
): Promise<ComparisonRun> {
  check(settings);
  const { seed } = settings;
  const config = comparisonConfig(settings, [seed], world);
  const storage = new MemoryStorage();
  const data = new Map<string, readonly TrainingTriple[]>();
  const results = await runExperiment(config, { storage, onIterationData: (d) => data.set(`${d.method}/${d.iteration}`, d.data) });
  const w = makeBanditWorld(world, seed);
  const portions = splitPortions(w.preferences, totalIterations(config.algorithm));
  const sft = new TabularPolicy(w.sftLogProbs);
  loadCheckpoint(storage, checkpointPath(seed, 'SFT', 'sft'), sft);
  const start: IterationRecord = {
    iteration: 0,
    meanReward: results.evals[unitKey(seed, 'SFT', 'sft')]!.meanSampled,
    probs: probsOf(sft, world.tasks),
    triples: [],
  };
  const methods = results.methods.map((m): MethodTrace => {
    const records = [start];
    for (let t = 1; t <= settings.iterations; t++) {
      const policy = sft.clone();
      loadCheckpoint(storage, checkpointPath(seed, m.name, t), policy);
      const portion = portions[t - 1]!;
      const triples = (data.get(`${m.name}/${t}`) ?? []).map(
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
      records.push({
        iteration: t,
        meanReward: results.evals[unitKey(seed, m.name, t)]!.meanSampled,
        probs: probsOf(policy, world.tasks),
        triples,
      });
    }
    return { name: m.name, alpha: m.alpha, records };
  });
  return { settings, methods, rewards: w.rewards.map((r) => [...r]), bestReward: results.bestReward };
}

/** A seed's outcome: final mean r* per method, and each method's mean mass on the better hill (r* > 1). */
export interface SeedOutcome {
  seed: number;
  finalReward: Record<string, number>;
  betterHillMass: Record<string, number>;
}

export interface SeedsRun {
  settings: ComparisonSettings;
  methods: string[];
  outcomes: SeedOutcome[];
  bestReward: number;
}

/** The better hill: responses whose r* beats the top of the demonstrations' hill (height 1, bandit.ts). */
export function betterHillMass(probs: readonly (readonly number[])[], rewards: readonly (readonly number[])[]): number {
  const per = probs.map((row, g) => row.reduce((a, p, k) => a + (rewards[g]![k]! > 1 ? p : 0), 0));
  return per.reduce((a, b) => a + b, 0) / per.length;
}

/**
 * Runs every method over `seeds` (settings.seed ignored) through the lab's runner, one seed at a time so a page
 * can repaint between them (`between` is awaited after each); reports progress in [0, 1].
 */
export async function runSeeds(
  settings: ComparisonSettings,
  seeds: readonly number[],
  options: { onProgress?: (fraction: number) => void; between?: () => Promise<void>; world?: BanditConfig } = {},
): Promise<SeedsRun> {
  const world = options.world ?? (DEFAULT_BANDIT_EXPERIMENT.world as BanditConfig);
  check({ ...settings, seed: seeds[0] ?? 0 });
  const outcomes: SeedOutcome[] = [];
  let methods: string[] = [];
  let bestReward = 0;
  for (const [i, seed] of seeds.entries()) {
    const storage = new MemoryStorage();
    const results: ExperimentResults = await runExperiment(comparisonConfig(settings, [seed], world), { storage });
    methods = results.methods.map((m) => m.name);
    bestReward = Math.max(bestReward, results.bestReward);
    const w = makeBanditWorld(world, seed);
    const sft = new TabularPolicy(w.sftLogProbs);
    const finalReward: Record<string, number> = {};
    const mass: Record<string, number> = {};
    for (const m of results.methods) {
      finalReward[m.name] = results.evals[unitKey(seed, m.name, settings.iterations)]!.meanSampled;
      const policy = sft.clone();
      loadCheckpoint(storage, checkpointPath(seed, m.name, settings.iterations), policy);
      mass[m.name] = betterHillMass(probsOf(policy, world.tasks), w.rewards);
    }
    outcomes.push({ seed, finalReward, betterHillMass: mass });
    options.onProgress?.((i + 1) / seeds.length);
    if (options.between) await options.between();
  }
  return { settings, methods, outcomes, bestReward };
}
