/**
 * The bandit experiment as `selm train` runs it, for the page's tests: Algorithm 1 with SELM (α > 0) and with
 * iterative DPO (α = 0) on the bandit world, from the same π_SFT, with the same seed, through the lab's runner
 * (src/lab/runner.ts) over an in-memory storage. The page itself runs web/comparison.ts, which
 * test/web/comparison.test.ts holds to these numbers. (It was the page's own module before the page moved to
 * the lab's comparison; its presets are still pinned by test/web/bandit-run.test.ts.)
 */
import { DEFAULT_BANDIT_EXPERIMENT, type ExperimentConfig } from '../../src/lab/config.js';
import { checkpointPath, loadCheckpoint, runExperiment, unitKey, type ExperimentResults } from '../../src/lab/runner.js';
import { MemoryStorage } from '../../src/lab/storage.js';
import { makeBanditWorld, type BanditConfig, type BanditWorld } from '../../src/lab/worlds/bandit.js';
import { validateAlgorithmConfig, type AlgorithmConfig } from '../../src/selm/algorithm.js';
import { TabularPolicy } from '../../src/selm/policies/tabular.js';

export interface BanditSettings {
  /** Optimism coefficient α of eq. (3.2). */
  alpha: number;
  /** KL coefficient β of eq. (2.3). */
  beta: number;
  /** Online iterations T of Algorithm 1. */
  iterations: number;
  seed: number;
}

/** The demo's own settings (`selm demo`'s bandit experiment), so the page starts where the CLI does. */
export const DEFAULT_SETTINGS: BanditSettings = {
  alpha: DEFAULT_BANDIT_EXPERIMENT.algorithm.alpha,
  beta: DEFAULT_BANDIT_EXPERIMENT.algorithm.beta,
  iterations: DEFAULT_BANDIT_EXPERIMENT.algorithm.iterations,
  seed: 0,
};

export interface Preset {
  label: string;
  settings: BanditSettings;
  /** The task whose prompt the charts show first. */
  task: number;
}

/**
 * Two starting points for the learner. The demo's settings: SELM usually ends above DPO on mean r*, mostly by
 * sharpening the hill the data favour. Strong optimism: SELM leaves the known hill (its mean r* dips first)
 * and, on task 2's prompt, moves most of its mass to the better hill (test/web/bandit-run.test.ts keeps this true).
 */
export const PRESETS: readonly Preset[] = [
  { label: 'demo settings', settings: DEFAULT_SETTINGS, task: 0 },
  { label: 'strong optimism', settings: { alpha: 5, beta: 1, iterations: 8, seed: 24 }, task: 2 },
];

export interface MethodRun {
  name: 'DPO' | 'SELM';
  alpha: number;
  /** Mean r* on held-out prompts, exact over y ~ π: index 0 is π_SFT, index t the policy after iteration t. */
  meanReward: number[];
  /** The policy after the last iteration. */
  policy: TabularPolicy;
}

export interface BanditComparison {
  settings: BanditSettings;
  world: BanditWorld;
  sft: TabularPolicy;
  dpo: MethodRun;
  selm: MethodRun;
  /** max_y r*, the same for every prompt of this world. */
  bestReward: number;
}

export function algorithmConfig(settings: BanditSettings, alpha: number): AlgorithmConfig {
  return { ...DEFAULT_BANDIT_EXPERIMENT.algorithm, alpha, beta: settings.beta, iterations: settings.iterations };
}

/** The experiment config `selm train` would run for these settings: one seed, SELM at α and DPO beside it. */
export function experimentConfig(
  settings: BanditSettings,
  world: BanditConfig = DEFAULT_BANDIT_EXPERIMENT.world as BanditConfig,
): ExperimentConfig {
  return {
    ...DEFAULT_BANDIT_EXPERIMENT,
    name: 'page',
    world,
    seeds: [settings.seed],
    alphaSweep: [],
    algorithm: algorithmConfig(settings, settings.alpha),
  };
}

function methodRun(
  name: MethodRun['name'],
  alpha: number,
  results: ExperimentResults,
  storage: MemoryStorage,
  sft: TabularPolicy,
  settings: BanditSettings,
): MethodRun {
  const { seed, iterations } = settings;
  // Bandit evaluation is exact (enumerated Y), so the sampled mean r* is the policy's expected r*.
  const meanReward = [results.evals[unitKey(seed, 'SFT', 'sft')]!.meanSampled];
  for (let t = 1; t <= iterations; t++) meanReward.push(results.evals[unitKey(seed, name, t)]!.meanSampled);
  const policy = sft.clone();
  loadCheckpoint(storage, checkpointPath(seed, name, iterations), policy);
  return { name, alpha, meanReward, policy };
}

/** Every problem with the settings, as 'name: why' lines (empty when valid). */
export function validateSettings(settings: BanditSettings): string[] {
  const problems = validateAlgorithmConfig(algorithmConfig(settings, settings.alpha));
  if (!(settings.alpha > 0)) problems.push(`alpha: SELM needs α > 0 (α = 0 is the DPO run beside it), got ${settings.alpha}`);
  if (!Number.isInteger(settings.seed) || settings.seed < 0) problems.push(`seed: must be an integer >= 0, got ${settings.seed}`);
  return problems;
}

/** Runs both methods through the lab's runner; throws an Error listing every problem with the settings. */
export async function runBanditComparison(
  settings: BanditSettings,
  world: BanditConfig = DEFAULT_BANDIT_EXPERIMENT.world as BanditConfig,
): Promise<BanditComparison> {
  const problems = validateSettings(settings);
  if (problems.length > 0) throw new Error(problems.join('; '));
  const storage = new MemoryStorage();
  const results = await runExperiment(experimentConfig(settings, world), { storage });
  const w = makeBanditWorld(world, settings.seed);
  const sft = new TabularPolicy(w.sftLogProbs);
  loadCheckpoint(storage, checkpointPath(settings.seed, 'SFT', 'sft'), sft);
  return {
    settings,
    world: w,
    sft,
    dpo: methodRun('DPO', 0, results, storage, sft, settings),
    selm: methodRun('SELM', settings.alpha, results, storage, sft, settings),
    bestReward: results.bestReward,
  };
}

/** π(·|x) for a prompt of task `task`, as probabilities over the K responses. */
export function responseProbabilities(policy: TabularPolicy, task: number): number[] {
  return Array.from(policy.responseLogProbs([task, 0]), Math.exp);
}
