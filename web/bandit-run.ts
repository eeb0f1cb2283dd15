/**
 * The page's bandit experiment: Algorithm 1 with SELM (α > 0) and with iterative DPO (α = 0) on the bandit
 * world, from the same π_SFT, with the same seed, through the library's own driver (runAlgorithm) and
 * evaluation (evaluateModel). Pure: imports only browser-safe library modules (run-experiment.ts, which holds
 * the CLI's version of this loop, also writes checkpoints with node:fs, so it cannot be bundled).
 */
import { Generator } from '../src/autograd/index.js';
import { runAlgorithm, validateAlgorithmConfig, type AlgorithmConfig, type Policy } from '../src/selm/algorithm.js';
import { evaluateModel } from '../src/selm/evaluate.js';
import { TrueRewardRanker } from '../src/selm/rankers.js';
import { DEFAULT_BANDIT_EXPERIMENT, streamSeed } from '../src/selm/run-config.js';
import { makeBanditWorld, type BanditConfig, type BanditWorld } from '../src/selm/worlds/bandit.js';
import { TabularPolicy } from '../src/selm/worlds/tabular-policy.js';

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

/** The CLI's Algorithm 1 stream, so the page reproduces `selm train` on the bandit experiment number for number. */
export function algorithmSeed(seed: number): number {
  return streamSeed(seed, 3);
}

export function algorithmConfig(settings: BanditSettings, alpha: number): AlgorithmConfig {
  return { ...DEFAULT_BANDIT_EXPERIMENT.algorithm, alpha, beta: settings.beta, iterations: settings.iterations };
}

function runMethod(name: MethodRun['name'], alpha: number, world: BanditWorld, sft: TabularPolicy, settings: BanditSettings): MethodRun {
  const config = algorithmConfig(settings, alpha);
  const evalOptions = { samples: 1, beta: settings.beta };
  // Bandit evaluation is exact (enumerated Y, greedy ties to the lowest index): its generator draws nothing.
  const meanReward = [evaluateModel(world, sft, null, evalOptions, new Generator(0)).meanSampled];
  const ranker = new TrueRewardRanker(world.trueReward);
  const run = runAlgorithm(sft, world.preferences, ranker, config, new Generator(algorithmSeed(settings.seed)), {
    onIterationEnd: ({ policy, reference }) => meanReward.push(evaluateModel(world, policy, reference, evalOptions, new Generator(0)).meanSampled),
  });
  return { name, alpha, meanReward, policy: asTabular(run.policy) };
}

function asTabular(policy: Policy): TabularPolicy {
  if (!(policy instanceof TabularPolicy)) throw new Error('bandit: Algorithm 1 returned a policy that is not tabular');
  return policy;
}

/** Every problem with the settings, as 'name: why' lines (empty when valid). */
export function validateSettings(settings: BanditSettings): string[] {
  const problems = validateAlgorithmConfig(algorithmConfig(settings, settings.alpha));
  if (!(settings.alpha > 0)) problems.push(`alpha: SELM needs α > 0 (α = 0 is the DPO run beside it), got ${settings.alpha}`);
  if (!Number.isInteger(settings.seed) || settings.seed < 0) problems.push(`seed: must be an integer >= 0, got ${settings.seed}`);
  return problems;
}

/** Runs both methods; throws an Error listing every problem with the settings. */
export function runBanditComparison(settings: BanditSettings, world: BanditConfig = DEFAULT_BANDIT_EXPERIMENT.world as BanditConfig): BanditComparison {
  const problems = validateSettings(settings);
  if (problems.length > 0) throw new Error(problems.join('; '));
  const w = makeBanditWorld(world, settings.seed);
  const sft = new TabularPolicy(w.sftLogProbs);
  return {
    settings,
    world: w,
    sft,
    dpo: runMethod('DPO', 0, w, sft, settings),
    selm: runMethod('SELM', settings.alpha, w, sft, settings),
    bestReward: Math.max(...w.testPrompts.map((x) => w.bestReward(x))),
  };
}

/** π(·|x) for a prompt of task `task`, as probabilities over the K responses. */
export function responseProbabilities(policy: TabularPolicy, task: number): number[] {
  return Array.from(policy.responseLogProbs([task, 0]), Math.exp);
}
