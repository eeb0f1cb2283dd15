/** An experiment's set-up per seed: its world (and preference file, judge), its starting policy, its step count. */
import { Generator } from '../autograd/index.js';
import { GPT } from '../nn/gpt.js';
import { EOS_ID, PAD_ID } from '../nn/tokenizer.js';
import { splitPortions, stepsPerIteration, totalIterations } from '../selm/algorithm.js';
import type { Policy } from '../selm/policy.js';
import { methodsOf, streamSeed, type ExperimentConfig } from './config.js';
import { DataError, parsePreferencesJsonl } from './data.js';
import type { TextJudge } from './module-judge.js';
import { checkStartingModel, StartingModelError, type StartingModel } from './starting-model.js';
import { textJudgeOf, trainLearnedJudge, type LearnedJudge } from './learned-judge.js';
import { makeTextWorld } from './worlds/text.js';
import { banditPolicy, makeBanditWorld } from './worlds/bandit.js';
import { GptPolicy } from '../selm/policies/gpt.js';
import { makeLanguageWorld } from './worlds/language.js';
import { TabularPolicy } from '../selm/policies/tabular.js';
import type { World } from './worlds/types.js';
import type { RunOptions } from './runner.js';

/** What a text world needs besides the config: its files' reader and the loaded judge. */
export interface WorldSources {
  readFile?: (path: string) => string;
  judge?: TextJudge | null;
  /** The starting model of `model.init`, read once: the text world takes its tokenizer. */
  start?: StartingModel | null;
}

/**
 * The world of one seed; with `preferencesText` (the JSONL text of the config's `preferences` file) its
 * preference set D replaced by that file's, checked against the world's vocabulary. A text world is built
 * from that file (and its demonstrations file, read through `sources.readFile`).
 */
export function buildWorld(
  config: ExperimentConfig,
  seed: number,
  preferencesText: string | null = null,
  sources: WorldSources = {},
): World {
  if (config.world.kind === 'text') {
    const file = config.preferences ?? '(no preferences file)';
    if (preferencesText === null) throw new DataError(`${file}: the text world's preferences file was not read`);
    const demoFile = config.world.demonstrations;
    if (demoFile !== null && !sources.readFile) throw new DataError(`${demoFile}: this runner cannot read files (no readFile given)`);
    const demonstrations = demoFile === null ? null : { text: sources.readFile!(demoFile), file: demoFile };
    return makeTextWorld(config.world, seed, {
      preferences: { text: preferencesText, file },
      demonstrations,
      judge: sources.judge ?? null,
      tokenizer: sources.start?.tokenizer ?? null,
    });
  }
  const world: World = config.world.kind === 'bandit' ? makeBanditWorld(config.world, seed) : makeLanguageWorld(config.world, seed);
  if (config.preferences === null) return world;
  if (preferencesText === null) throw new DataError(`${config.preferences}: the config names a preferences file, but it was not read`);
  return { ...world, preferences: parsePreferencesJsonl(preferencesText, world, config.preferences) };
}

/** The text of the config's preferences file, read once (null when the config names none). */
export function preferencesTextOf(config: ExperimentConfig, readFile: RunOptions['readFile']): string | null {
  if (config.preferences === null) return null;
  if (readFile === undefined) throw new DataError(`${config.preferences}: this runner cannot read files (no readFile given)`);
  return readFile(config.preferences);
}

/**
 * The world a seed is trained and evaluated in, with its learned judge when the config asks for one. The judge
 * is trained first, deterministically (so a resumed run and `selm eval` retrain the same one); a text world is
 * rebuilt around it, since the judge is its only reward. `base` is the seed's world as buildWorld made it.
 */
export function judgedWorld(
  config: ExperimentConfig,
  seed: number,
  base: World,
  preferencesText: string | null,
  sources: WorldSources,
): { world: World; learned: LearnedJudge | null } {
  if (config.ranker.kind !== 'learned') return { world: base, learned: null };
  const learned = trainLearnedJudge(config, base, seed, config.world.kind !== 'text');
  if (config.world.kind !== 'text') return { world: base, learned };
  return { world: buildWorld(config, seed, preferencesText, { ...sources, judge: textJudgeOf(learned.ranker, base) }), learned };
}

/** The config's judge module, loaded once (null when the ranker is not a module). */
export async function loadJudgeOf(config: ExperimentConfig, options: Pick<RunOptions, 'loadJudge'>): Promise<TextJudge | null> {
  if (config.ranker.kind !== 'module') return null;
  if (!options.loadJudge) throw new Error(`ranker: this runner cannot load the judge module ${config.ranker.path} (no loadJudge given)`);
  return options.loadJudge(config.ranker.path);
}

/** The config's starting model (`model.init`), read once through `options.loadModel`; null when it names none. */
export function loadStartOf(config: ExperimentConfig, options: Pick<RunOptions, 'loadModel'>): StartingModel | null {
  const init = config.model.init;
  if (!init || config.world.kind === 'bandit') return null;
  if (!options.loadModel) throw new StartingModelError(`model.init: this runner cannot read the folder ${init.hf} (no loadModel given)`);
  return options.loadModel(init.hf);
}

/**
 * The starting policy of a seed, before SFT: the bandit's π_SFT table, a freshly initialised GPT, or a copy of
 * the `model.init` folder's GPT (`start`, checked against the config and world first).
 */
export function initialPolicy(config: ExperimentConfig, world: World, seed: number, start: StartingModel | null = null): Policy {
  if (world.kind === 'bandit') {
    const w = world as ReturnType<typeof makeBanditWorld>;
    return w.config.featureWidth > 0 || w.config.contexts > 1 ? banditPolicy(w) : new TabularPolicy(w.sftLogProbs);
  }
  const lw = world as ReturnType<typeof makeLanguageWorld>;
  const options = { eosId: EOS_ID, padId: PAD_ID, maxResponseTokens: lw.config.maxLength + 1 };
  if (config.model.init) {
    if (!start) throw new StartingModelError(`model.init: the folder ${config.model.init.hf} was not loaded`);
    checkStartingModel(config.model, world, start);
    return new GptPolicy(start.model.clone(), options);
  }
  const gpt = new GPT(
    {
      vocabSize: lw.tokenizer.vocabSize,
      contextLength: lw.contextLength,
      width: config.model.width,
      heads: config.model.heads,
      layers: config.model.layers,
      mlpRatio: config.model.mlpRatio,
    },
    new Generator(streamSeed(seed, 1)),
  );
  return new GptPolicy(gpt, options);
}

/** Optimiser steps the whole experiment takes (for progress and ETA). */
export function totalStepsOf(config: ExperimentConfig, preferenceCount: number): number {
  const sizes = splitPortions(
    Array.from({ length: preferenceCount }, (_, i) => i),
    totalIterations(config.algorithm),
  ).map((p) => p.length);
  const perMethod = sizes.reduce((a, n) => a + stepsPerIteration(n, config.algorithm), 0);
  const sft = config.world.kind !== 'bandit' ? config.sft.steps : 0;
  return config.seeds.length * (sft + methodsOf(config).length * perMethod);
}
