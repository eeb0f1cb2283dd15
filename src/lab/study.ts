/**
 * The honest test of SELM's claim (issue 12), as a protocol: hyper-parameters are chosen on tuning seeds and
 * results reported on separate evaluation seeds, paired by seed, with t intervals and per-seed distributions.
 *
 * One study is one world (a bandit world: the table, featureWidth 0, the smooth world, the prompt-context
 * world; or the language world, language-exploration.ts) and:
 *  1. tuning, on `tuningSeeds`: DPO at every budget, SELM at every (α, budget), tempered-y_ref DPO at every
 *     temperature (default budget). Chosen by mean r* after the last iteration: SELM's α at the default budget
 *     (α̂), SELM's (α, budget) jointly (SELM*), DPO's budget (DPO*), the temperature (τ̂). The (α, budget)
 *     grid of SELM − DPO on the tuning seeds is the heatmap.
 *  2. evaluation, on `evaluationSeeds`: DPO and SELM (α̂) at every budget (the budget sweep and the
 *     reward-KL frontier), SELM*, tempered y_ref at τ̂. DPO and SELM are the default budget; DPO* and SELM*
 *     are each tuned as well as the grid allows, so SELM* − DPO* is the fair comparison.
 * A "budget" is the per-iteration learning rate at a fixed number of epochs: with plain SGD the distance a
 * policy moves per iteration grows with lr × steps. Browser-safe: seeds run through the `SeedRunner` given
 * (in process, or on worker threads: node/parallel.ts).
 */
import type { AlgorithmConfig } from '../selm/algorithm.js';
import {
  runComparisonSeed,
  type ComparisonMethod,
  type ComparisonOptions,
  type IterationMetrics,
  type SeedComparison,
} from './exploration.js';
import { runLanguageComparisonSeed, type GptSettings } from './language-exploration.js';
import type { BanditConfig } from './worlds/bandit.js';
import type { LanguageConfig } from './worlds/language.js';

export interface StudyConfig {
  name: string;
  /** What the study shows, for the report's heading. */
  title: string;
  /** A bandit world (exact metrics), or the language world (sampled metrics, language-exploration.ts). */
  world: BanditConfig | LanguageConfig;
  /** The language world's GPT, its SFT stage and draws per prompt (its defaults when absent). */
  gpt?: GptSettings;
  /** Everything a method does not set: β, T, batch size, optimizer, epochs, the default learning rate. */
  algorithm: AlgorithmConfig;
  tuningSeeds: number[];
  evaluationSeeds: number[];
  alphas: number[];
  /** Per-iteration learning rates of the budget axis (epochs fixed at algorithm.epochs). */
  learningRates: number[];
  /** The default budget: one of `learningRates`. */
  defaultLearningRate: number;
  /** y_ref temperatures of the tempered control (each > 1). */
  temperatures: number[];
}

/** One seed's work, as a worker receives it. */
export interface SeedJob {
  world: BanditConfig | LanguageConfig;
  gpt?: GptSettings;
  algorithm: AlgorithmConfig;
  methods: ComparisonMethod[];
  seed: number;
  options: ComparisonOptions;
}

/** Runs many seeds' jobs (in order of the input) and resolves to their results. */
export type SeedRunner = (jobs: readonly SeedJob[]) => Promise<SeedComparison[]>;

/** One seed's job, in either kind of world (Figure 4's exact populations and π records exist in the bandit only). */
export function runSeedJob(j: SeedJob): SeedComparison {
  return j.world.kind === 'bandit'
    ? runComparisonSeed(j.world, j.algorithm, j.methods, j.seed, j.options)
    : runLanguageComparisonSeed(j.world, j.algorithm, j.methods, j.seed, j.gpt, j.options);
}

/** The in-process runner (the page's, and the fallback where there are no worker threads). */
export const runSeedsInProcess: SeedRunner = async (jobs) => jobs.map(runSeedJob);

/** Every problem with a study's seeds and grids (empty when valid); overlapping seed sets are refused. */
export function validateStudy(c: StudyConfig): string[] {
  const p: string[] = [];
  const tuning = new Set(c.tuningSeeds);
  const overlap = c.evaluationSeeds.filter((s) => tuning.has(s));
  if (overlap.length > 0) p.push(`evaluationSeeds: must not overlap tuningSeeds (both hold ${overlap.slice(0, 5).join(', ')})`);
  if (c.tuningSeeds.length < 2 || c.evaluationSeeds.length < 2) p.push('tuningSeeds and evaluationSeeds: need at least 2 seeds each');
  if (new Set(c.evaluationSeeds).size !== c.evaluationSeeds.length || tuning.size !== c.tuningSeeds.length)
    p.push('seeds: must be distinct');
  if (!c.learningRates.includes(c.defaultLearningRate))
    p.push(`defaultLearningRate: must be one of learningRates, got ${c.defaultLearningRate}`);
  if (c.alphas.length === 0 || c.alphas.some((a) => !(a > 0))) p.push('alphas: need at least one α > 0');
  if (c.temperatures.length === 0 || c.temperatures.some((t) => !(t > 1))) p.push('temperatures: need at least one temperature > 1');
  return p;
}

export const methodName = {
  dpo: (lr: number): string => `DPO lr=${lr}`,
  selm: (alpha: number, lr: number): string => `SELM α=${alpha} lr=${lr}`,
  tempered: (t: number): string => `tempered τ=${t}`,
};

function method(name: string, alpha: number, learningRate: number, c: StudyConfig, yRefTemperature = 1): ComparisonMethod {
  return { name, alpha, learningRate, epochs: c.algorithm.epochs, yRefTemperature };
}

/** The final mean r* of a method, averaged over seeds. */
function finalMean(results: readonly SeedComparison[], name: string, key: keyof IterationMetrics = 'meanReward'): number {
  return results.reduce((a, r) => a + r.methods[name]!.at(-1)![key], 0) / results.length;
}

/** The best of `candidates` by final mean r* (the first on a tie, so earlier = preferred). */
export function argmax<T extends {}>(candidates: readonly T[], score: (c: T) => number): T {
  let best = candidates[0]!;
  for (const c of candidates) if (score(c) > score(best)) best = c;
  return best;
}

export interface StudyChoices {
  /** α̂: SELM's α at the default budget. */
  alpha: number;
  /** SELM*'s (α, budget), tuned jointly, and DPO*'s budget. */
  selmAlpha: number;
  selmLearningRate: number;
  dpoLearningRate: number;
  temperature: number;
}

/** The roles the report compares, each a method name present in every evaluation seed's results. */
export interface StudyRoles {
  DPO: string;
  SELM: string;
  'DPO*': string;
  'SELM*': string;
  tempered: string;
}

export interface StudyResults {
  config: StudyConfig;
  choices: StudyChoices;
  roles: StudyRoles;
  /** SELM − DPO final mean r* on the tuning seeds, [alpha][learning rate]. */
  heatmap: number[][];
  tuning: SeedComparison[];
  evaluation: SeedComparison[];
}

/** Runs the protocol (tuning, then evaluation) through `runner`. */
export async function runStudy(c: StudyConfig, runner: SeedRunner = runSeedsInProcess): Promise<StudyResults> {
  const problems = validateStudy(c);
  if (problems.length > 0) throw new Error(`study ${c.name}: ${problems.join('; ')}`);
  const tuningMethods = [
    ...c.learningRates.map((lr) => method(methodName.dpo(lr), 0, lr, c)),
    ...c.alphas.flatMap((a) => c.learningRates.map((lr) => method(methodName.selm(a, lr), a, lr, c))),
    ...c.temperatures.map((t) => method(methodName.tempered(t), 0, c.defaultLearningRate, c, t)),
  ];
  const job = (methods: ComparisonMethod[], seed: number, options: ComparisonOptions = {}): SeedJob => ({
    world: c.world,
    ...(c.gpt ? { gpt: c.gpt } : {}),
    algorithm: c.algorithm,
    methods,
    seed,
    options,
  });
  const tuning = await runner(c.tuningSeeds.map((s) => job(tuningMethods, s, { transferFor: [] })));
  const alpha = argmax(c.alphas, (a) => finalMean(tuning, methodName.selm(a, c.defaultLearningRate)));
  const grid = c.alphas.flatMap((a) => c.learningRates.map((lr) => ({ a, lr })));
  const star = argmax(grid, ({ a, lr }) => finalMean(tuning, methodName.selm(a, lr)));
  const choices: StudyChoices = {
    alpha,
    selmAlpha: star.a,
    selmLearningRate: star.lr,
    dpoLearningRate: argmax(c.learningRates, (lr) => finalMean(tuning, methodName.dpo(lr))),
    temperature: argmax(c.temperatures, (t) => finalMean(tuning, methodName.tempered(t))),
  };
  const heatmap = c.alphas.map((a) =>
    c.learningRates.map((lr) => finalMean(tuning, methodName.selm(a, lr)) - finalMean(tuning, methodName.dpo(lr))),
  );

  const evaluationMethods = [
    ...c.learningRates.map((lr) => method(methodName.dpo(lr), 0, lr, c)),
    ...c.learningRates.map((lr) => method(methodName.selm(alpha, lr), alpha, lr, c)),
    method(methodName.tempered(choices.temperature), 0, c.defaultLearningRate, c, choices.temperature),
    ...(star.a === alpha ? [] : [method(methodName.selm(star.a, star.lr), star.a, star.lr, c)]),
  ];
  const roles: StudyRoles = {
    DPO: methodName.dpo(c.defaultLearningRate),
    SELM: methodName.selm(alpha, c.defaultLearningRate),
    'DPO*': methodName.dpo(choices.dpoLearningRate),
    'SELM*': methodName.selm(star.a, star.lr),
    tempered: methodName.tempered(choices.temperature),
  };
  const evaluation = await runner(
    c.evaluationSeeds.map((s, i) =>
      job(evaluationMethods, s, { figure4: [roles.SELM, roles.DPO], recordPolicies: i === 0, transferFor: Object.values(roles) }),
    ),
  );
  return { config: c, choices, roles, heatmap, tuning, evaluation };
}
