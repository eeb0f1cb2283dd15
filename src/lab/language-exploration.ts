/**
 * Exploration measured in the language world (issue 12): the bandit's metrics (exploration.ts) for the tiny
 * GPT, one seed and a list of methods at a time, so the study (study.ts) runs on it unchanged. Y is too large
 * to enumerate, so expectations are estimated from samples on the held-out prompts:
 *  - mean r*: E_{y~πθ}[r*] from `samples` draws per held-out prompt; greedy r*: of the greedy response;
 *  - found: share of held-out prompts whose greedy response is the best one (r* = its maximum, "c d e f");
 *  - mass better: share of the draws better than the local optimum (r* > 1, the demonstrators' hill);
 *  - touch, y_ref regret: as in the bandit, from the iteration's ranked pairs;
 *  - KL(πθ‖π_SFT): E_{y~πθ}[log πθ − log π_SFT] from the same draws;
 *  - transfer: whether the GPT generalises across responses (transfer.ts).
 * Every method of a seed starts from the same SFT model and sees the same generators (paired by seed).
 * Browser-safe.
 */
import { Generator, noGrad } from '../autograd/index.js';
import { EOS_ID } from '../nn/tokenizer.js';
import { runAlgorithm, runSft, type AlgorithmConfig, type TrainingTriple } from '../selm/algorithm.js';
import { GptPolicy } from '../selm/policies/gpt.js';
import type { Policy } from '../selm/policy.js';
import { DEFAULT_LANGUAGE_EXPERIMENT, streamSeed, type ModelConfig, type SftConfig } from './config.js';
import {
  divergenceWatch,
  wantsTransfer,
  methodAlgorithm,
  type ComparisonMethod,
  type ComparisonOptions,
  type IterationMetrics,
  type SeedComparison,
} from './exploration.js';
import { TrueRewardRanker } from './judges.js';
import { withModelBackendSync } from './model-backend.js';
import { initialPolicy } from './setup.js';
import { languageNeighbour, transferRatio } from './transfer.js';
import { makeLanguageWorld, type LanguageConfig, type LanguageWorld } from './worlds/language.js';

/** The GPT and its SFT stage, and the draws per held-out prompt of the sampled metrics. */
export interface GptSettings {
  model: ModelConfig;
  sft: SftConfig;
  samples: number;
}

export const DEFAULT_GPT_SETTINGS: GptSettings = {
  model: DEFAULT_LANGUAGE_EXPERIMENT.model,
  sft: DEFAULT_LANGUAGE_EXPERIMENT.sft,
  samples: DEFAULT_LANGUAGE_EXPERIMENT.eval.samples,
};

/** The metrics of `policy` on the held-out prompts; `data` is the iteration's ranked triples (none for SFT). */
export function languageMetrics(
  world: LanguageWorld,
  policy: Policy,
  sft: Policy,
  iteration: number,
  data: readonly TrainingTriple[] | null,
  samples: number,
  generator: Generator,
): IterationMetrics {
  const prompts = world.testPrompts;
  const local = 1; // r* of the demonstrators' favourite: the local optimum
  const greedy = noGrad(() => policy.generate(prompts, 'greedy', generator));
  let greedyReward = 0;
  let found = 0;
  greedy.forEach((y, i) => {
    const r = world.trueReward(prompts[i]!, y);
    greedyReward += r;
    if (r >= world.bestReward(prompts[i]!)) found++;
  });
  const repeated = prompts.flatMap((x) => Array.from({ length: samples }, () => x));
  const drawn = noGrad(() => policy.generate(repeated, 'sample', generator));
  const rewards = drawn.map((y, i) => world.trueReward(repeated[i]!, y));
  const [now, before] = noGrad(() => [policy.logProbs(repeated, drawn).data, sft.logProbs(repeated, drawn).data]);
  let touch = 0;
  let regret = 0;
  if (data !== null && data.length > 0) {
    for (const d of data) {
      if (world.trueReward(d.prompt, d.chosen) > local || world.trueReward(d.prompt, d.rejected) > local) touch++;
      if (d.yRef !== null) regret += world.bestReward(d.prompt) - world.trueReward(d.prompt, d.yRef);
    }
    touch /= data.length;
    regret /= data.length;
  }
  const mean = (v: ArrayLike<number>): number => {
    let total = 0;
    for (let i = 0; i < v.length; i++) total += v[i]!;
    return total / v.length;
  };
  return {
    iteration,
    meanReward: mean(rewards),
    greedyReward: greedyReward / prompts.length,
    found: found / prompts.length,
    massBetter: rewards.filter((r) => r > local).length / rewards.length,
    touch,
    yRefRegret: regret,
    klSft: mean(Float64Array.from(now!, (v, i) => v - before![i]!)),
    transfer: Number.NaN,
    loss: 0,
    lossDpo: 0,
    lossOptimism: 0,
  };
}

/** The same model sampling at temperature 1: metrics are always of π itself. */
function untempered(p: GptPolicy): GptPolicy {
  return (p.options.temperature ?? 1) === 1 ? p : new GptPolicy(p.model, { ...p.options, temperature: 1 });
}

/**
 * Runs every method on one seed of the language world: the world, the SFT model (once), then Algorithm 1 per
 * method from it, with the metrics after SFT and after every iteration. The ranker is the true reward.
 */
export function runLanguageComparisonSeed(
  world: LanguageConfig,
  algorithm: AlgorithmConfig,
  methods: readonly ComparisonMethod[],
  seed: number,
  gpt: GptSettings = DEFAULT_GPT_SETTINGS,
  options: ComparisonOptions = {},
): SeedComparison {
  return withModelBackendSync(gpt.model.backend, () => compareOnBackend(world, algorithm, methods, seed, gpt, options));
}

function compareOnBackend(
  world: LanguageConfig,
  algorithm: AlgorithmConfig,
  methods: readonly ComparisonMethod[],
  seed: number,
  gpt: GptSettings,
  options: ComparisonOptions,
): SeedComparison {
  const w = makeLanguageWorld(world, seed);
  const sft = initialPolicy({ ...DEFAULT_LANGUAGE_EXPERIMENT, world, model: gpt.model }, w, seed) as GptPolicy;
  runSft(sft, w.demonstrations, gpt.sft, new Generator(streamSeed(seed, 2)));
  const evalGenerator = (): Generator => new Generator(streamSeed(seed, 5));
  const sftMetrics = languageMetrics(w, sft, sft, 0, null, gpt.samples, evalGenerator());
  const neighbour = languageNeighbour(w.tokenizer.encode('a')[0]!, world.letters, EOS_ID);
  const out: SeedComparison = { seed, methods: {} };
  for (const m of methods) {
    if (out.methods[m.name]) throw new Error(`runLanguageComparisonSeed: method '${m.name}' is listed twice`);
    const config = methodAlgorithm(algorithm, m);
    // The tempered control: y_ref drawn at τ from π_ref (a clone of the start keeps its temperature).
    const start = m.yRefTemperature === 1 ? sft : new GptPolicy(sft.model, { ...sft.options, temperature: m.yRefTemperature });
    const metrics: IterationMetrics[] = [sftMetrics];
    const watch = divergenceWatch();
    const run = runAlgorithm(start, w.preferences, new TrueRewardRanker(w.trueReward), config, new Generator(streamSeed(seed, 3)), {
      onStep: watch.step,
      onIterationEnd: ({ iteration, policy, reference, data }) => {
        const transfer = wantsTransfer(options, m.name) ? transferRatio(data, reference, neighbour, (x) => x.join()) : Number.NaN;
        const plain = untempered(policy as GptPolicy);
        metrics.push({ ...languageMetrics(w, plain, sft, iteration, data, gpt.samples, evalGenerator()), transfer, ...watch.losses() });
      },
    });
    out.methods[m.name] = metrics;
    watch.finish(out, m.name, run.policy, config.iterations);
  }
  return out;
}
