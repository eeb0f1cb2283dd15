/** Re-evaluating a finished run from its checkpoints (`selm eval`), and reading a run's config. */
import { Generator } from '../autograd/index.js';
import { evaluateModel, type ModelEval } from './evaluate.js';
import { loadCheckpoint, type CheckpointOptions } from './checkpoints.js';
import { withModelBackendSync } from './model-backend.js';
import { methodsOf, parseExperimentConfigText, streamSeed, type ExperimentConfig } from './config.js';
import { RunFolderError } from './errors.js';
import { readText, type RunStorage } from './storage.js';
import { checkpointPath, describePath, unitKey, type ExperimentResults, type RunOptions } from './runner.js';
import type { TextJudge } from './module-judge.js';
import type { StartingModel } from './starting-model.js';
import { buildWorld, initialPolicy, judgedWorld, preferencesTextOf } from './setup.js';

/** The config of a run, validated as `selm train` validates a config file. */
export function readRunConfig(storage: RunStorage): ExperimentConfig {
  const path = describePath(storage, 'config.json');
  if (!storage.exists('config.json')) throw new RunFolderError(`${storage.location}: not a run folder (config.json is missing)`);
  return parseExperimentConfigText(readText(storage, 'config.json'), path);
}

/**
 * Re-evaluates a finished run from its checkpoints alone (each iteration's π_ref is the previous checkpoint):
 * the same deterministic evaluation as during the run, so it reproduces eval.json.
 */
export function evaluateRun(
  storage: RunStorage,
  readFile?: RunOptions['readFile'],
  ckpt: CheckpointOptions = {},
  /** The run's judge module, loaded by the caller (a text world with a module ranker is evaluated by it). */
  judge: TextJudge | null = null,
  /** The run's `model.init` folder, read by the caller (it sets the model's shape and a text world's tokenizer). */
  start: StartingModel | null = null,
): ExperimentResults {
  const config = readRunConfig(storage);
  // On the backend the run was made with (model-backend.ts): another one's rounding would not reproduce eval.json.
  return withModelBackendSync(config.model.backend, () => evaluateOnBackend(storage, config, readFile, ckpt, judge, start));
}

function evaluateOnBackend(
  storage: RunStorage,
  config: ExperimentConfig,
  readFile: RunOptions['readFile'],
  ckpt: CheckpointOptions,
  judge: TextJudge | null,
  start: StartingModel | null,
): ExperimentResults {
  const dir = storage.location;
  if (config.ranker.kind === 'module' && judge === null)
    throw new Error(`${dir}: the run's judge ${config.ranker.path} was not loaded (pass it to evaluateRun)`);
  const preferencesText = preferencesTextOf(config, readFile);
  const methods = methodsOf(config);
  const evals: Record<string, ModelEval> = {};
  let bestReward = 0;
  const first = config.algorithm.zephyr ? 0 : 1;
  const missing: string[] = [];
  for (const seed of config.seeds) {
    if (!storage.exists(checkpointPath(seed, 'SFT', 'sft'))) missing.push(`seed ${seed} SFT`);
    for (const m of methods)
      for (let t = first; t <= config.algorithm.iterations; t++)
        if (!storage.exists(checkpointPath(seed, m.name, t))) missing.push(`seed ${seed} ${m.name} iteration ${t}`);
  }
  if (missing.length > 0) {
    throw new Error(
      `${dir}: the run is not finished (${missing.length} checkpoints missing, first: ${missing[0]}); continue it with selm train --resume ${dir}`,
    );
  }
  for (const seed of config.seeds) {
    // A text world's only reward is the run's judge: its module as given, or its learned judge trained again,
    // deterministically, exactly as the run trained it. The other worlds evaluate with r*.
    const sources = { ...(readFile ? { readFile } : {}), judge, start };
    const base = buildWorld(config, seed, preferencesText, sources);
    const world = config.world.kind === 'text' ? judgedWorld(config, seed, base, preferencesText, sources).world : base;
    bestReward = Math.max(bestReward, ...world.testPrompts.map((x) => world.bestReward(x)));
    const options = { samples: config.eval.samples, beta: config.algorithm.beta };
    const evalGenerator = (): Generator => new Generator(streamSeed(seed, 5));
    const sft = initialPolicy(config, world, seed, start);
    loadCheckpoint(storage, checkpointPath(seed, 'SFT', 'sft'), sft, { seed, method: 'SFT' }, ckpt);
    evals[unitKey(seed, 'SFT', 'sft')] = evaluateModel(world, sft, null, options, evalGenerator());
    for (const m of methods) {
      let reference = sft;
      for (let t = first; t <= config.algorithm.iterations; t++) {
        const policy = sft.clone();
        loadCheckpoint(storage, checkpointPath(seed, m.name, t), policy, { seed, method: m.name, iteration: t }, ckpt);
        evals[unitKey(seed, m.name, t)] = evaluateModel(world, policy, reference, options, evalGenerator());
        reference = policy;
      }
    }
  }
  return { config, methods, evals, bestReward };
}
