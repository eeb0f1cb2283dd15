/**
 * Runs an experiment into a run folder: for each seed, the world, the SFT model, then Algorithm 1 for every
 * method (DPO = α 0, SELM, the α sweep), evaluating and checkpointing after every iteration.
 *
 * The run's files go through a RunStorage (storage.ts): a folder for the CLI, memory for the teaching page, the
 * same loop for both. Browser-safe: no Node imports here.
 *
 * Resumable: after each finished iteration the storage holds its checkpoint and `state.json` (evaluations so
 * far, the generators' states, the length of metrics.jsonl), each written atomically. `resume` reloads them
 * and continues; because every random draw comes from generators whose states are saved, and Algorithm 1
 * restarts its optimiser at every iteration (appendix C), a resumed run ends bit-identical to an uninterrupted
 * one.
 */
import { Generator } from '../autograd/index.js';
import {
  NonFiniteLossError,
  runAlgorithm,
  runSft,
  splitPortions,
  stepsPerIteration,
  totalIterations,
  type StepRecord,
  type TrainingTriple,
} from '../selm/algorithm.js';
import type { Policy } from '../selm/policy.js';
import { evaluateModel, type ModelEval } from './evaluate.js';
import { loadCheckpoint, saveCheckpoint, type CheckpointOptions } from './checkpoints.js';
import { makeRanker } from './judges.js';
import { methodSlug, methodsOf, streamSeed, type ExperimentConfig, type Method } from './config.js';
import { RunFolderError } from './errors.js';
import { DataError } from './data.js';
import { writeIterationData } from './data/iteration-data.js';
import { ModuleRanker, type TextJudge } from './module-judge.js';
import { readText, writeJson, type RunStorage } from './storage.js';
import { buildWorld, initialPolicy, judgedWorld, loadJudgeOf, loadStartOf, preferencesTextOf, totalStepsOf } from './setup.js';
import { checkStartingModel, type StartingModel } from './starting-model.js';
import { withModelBackend } from './model-backend.js';

export { buildWorld, initialPolicy, totalStepsOf, type WorldSources } from './setup.js';
export { evaluateRun, readRunConfig } from './evaluate-run.js';

export type ProgressEvent =
  | { type: 'start'; experiment: string; totalSteps: number; doneSteps: number }
  | {
      type: 'step';
      experiment: string;
      seed: number;
      method: string;
      iteration: number;
      step: number;
      doneSteps: number;
      totalSteps: number;
      loss: number;
    }
  | { type: 'iteration'; experiment: string; seed: number; method: string; iteration: number; meanGreedy: number; meanSampled: number }
  | { type: 'done'; experiment: string; dir: string };

export interface RunOptions {
  /** Where the run's files go (a folder, or memory); must not already hold a run unless resuming. */
  storage: RunStorage;
  resume?: boolean;
  /**
   * Reads an external file named by the config (its `preferences` set), once per run. Needed only when the
   * config names one: the CLI passes a file-system reader, the page has none.
   */
  readFile?: (path: string) => string;
  onEvent?: (event: ProgressEvent) => void;
  /** Reads the config's `model.init` folder, once per run: the CLI reads a Hugging Face folder (hf-folder.ts). */
  loadModel?: (path: string) => StartingModel;
  /** Loads the config's judge module (`ranker.kind` 'module'), once per run: the CLI imports the file. */
  loadJudge?: (path: string) => Promise<TextJudge>;
  /**
   * After each trained iteration, its updated D_t (each triple with the y_ref it was ranked against): what the
   * teaching page's step-through shows. Not stored in the run folder.
   */
  onIterationData?: (info: { seed: number; method: string; iteration: number; data: readonly TrainingTriple[] }) => void;
  /** Stop (throwing RunInterrupted) after this many iterations finish in this call: a test's simulated crash. */
  stopAfterIterations?: number;
  /** Save and load non-finite weights instead of stopping (checkpoints.ts). */
  allowNonFinite?: boolean;
}

export { loadCheckpoint, saveCheckpoint } from './checkpoints.js';

export class RunInterrupted extends Error {
  constructor(readonly dir: string) {
    super(`run interrupted; continue it with --resume ${dir}`);
    this.name = 'RunInterrupted';
  }
}

/** Every model's evaluation, keyed by `unitKey`. */
export interface ExperimentResults {
  config: ExperimentConfig;
  methods: Method[];
  evals: Record<string, ModelEval>;
  /** max_y r* over held-out prompts (the histograms' upper edge). */
  bestReward: number;
}

/** `seed/method/iteration`; the SFT model is `seed/SFT/0` (and iteration 0 of a Zephyr run is `seed/method/z`). */
export function unitKey(seed: number, method: string, iteration: number | 'sft'): string {
  return iteration === 'sft' ? `${seed}/SFT/0` : `${seed}/${method}/${iteration}`;
}

interface UnitState {
  eval: ModelEval;
  /** Generator states (JSON has no NaN: Generator's "no spare normal" NaN is stored as null). */
  generator?: (number | null)[];
  rankerGenerator?: (number | null)[];
}

const toJsonState = (state: number[]): (number | null)[] => state.map((v) => (Number.isNaN(v) ? null : v));
const fromJsonState = (state: readonly (number | null)[]): number[] => state.map((v) => v ?? Number.NaN);

interface RunState {
  version: 1;
  metricsBytes: number;
  units: Record<string, UnitState>;
}

/** A checkpoint's path in the run's storage. */
export function checkpointPath(seed: number, method: string, iteration: number | 'sft'): string {
  return iteration === 'sft'
    ? `checkpoints/seed${seed}/sft.safetensors`
    : `checkpoints/seed${seed}/${methodSlug(method)}/iter${iteration}.safetensors`;
}

/** A storage path as a person finds it: 'runs/x/state.json', or 'memory:state.json'. */
export function describePath(storage: RunStorage, path: string): string {
  return storage.location === 'memory' ? `memory:${path}` : `${storage.location}/${path}`;
}

/** Reads a run's state, or a fresh one. */
function readState(storage: RunStorage): RunState {
  if (!storage.exists('state.json')) return { version: 1, metricsBytes: 0, units: {} };
  const state = JSON.parse(readText(storage, 'state.json')) as RunState;
  if (state.version !== 1 || typeof state.units !== 'object')
    throw new Error(`${describePath(storage, 'state.json')}: not a state file this version can resume`);
  return state;
}

/**
 * Runs (or resumes) the experiment in `options.dir`; returns every evaluation. Writes config.json, metrics.jsonl,
 * state.json and the checkpoints; the report (eval.json, summary.md, figures) is report.ts's job.
 */
export async function runExperiment(config: ExperimentConfig, options: RunOptions): Promise<ExperimentResults> {
  // The GPT's kernels run on the config's backend (model-backend.ts), the whole run long.
  return withModelBackend(config.model.backend, () => runOnBackend(config, options));
}

async function runOnBackend(config: ExperimentConfig, options: RunOptions): Promise<ExperimentResults> {
  const { storage } = options;
  const dir = storage.location;
  const ckpt: CheckpointOptions = { allowNonFinite: options.allowNonFinite };
  // Build every world first: a bad preferences file fails here, before anything is written. Only each world's
  // size is kept, and the seed's loop builds it again (buildWorld is deterministic): holding every seed's parse
  // of a large preferences file at once would take seeds × its size in memory.
  const preferencesText = preferencesTextOf(config, options.readFile);
  const judge = await loadJudgeOf(config, options);
  const start = loadStartOf(config, options);
  const sources = { ...(options.readFile ? { readFile: options.readFile } : {}), judge, start };
  const sizes = config.seeds.map((seed) => {
    const w = buildWorld(config, seed, preferencesText, sources);
    if (start) checkStartingModel(config.model, w, start);
    if (w.preferences.length < totalIterations(config.algorithm)) {
      throw new DataError(
        `seed ${seed}: ${w.preferences.length} preference triples cannot fill ${totalIterations(config.algorithm)} disjoint portions (one per iteration of Algorithm 1: give more triples, or fewer iterations)`,
      );
    }
    return w.preferences.length;
  });
  if (options.resume) {
    if (!storage.exists('config.json')) throw new RunFolderError(`${dir}: no run to resume here (config.json is missing)`);
  } else {
    if (storage.exists('config.json'))
      throw new RunFolderError(`${dir}: already holds a run; resume it with --resume, or choose another --out`);
    writeJson(storage, 'config.json', config);
  }
  const state = readState(storage);
  const metricsPath = 'metrics.jsonl';
  // Lines written after the last finished iteration belong to work that will be redone: drop them.
  if (storage.size(metricsPath) > state.metricsBytes) storage.truncate(metricsPath, state.metricsBytes);
  if (!storage.exists(metricsPath)) storage.write(metricsPath, new Uint8Array());
  const saveState = (): void => {
    state.metricsBytes = storage.size(metricsPath);
    writeJson(storage, 'state.json', state);
  };
  const log = (record: Record<string, unknown>): void => storage.append(metricsPath, `${JSON.stringify(record)}\n`);

  const methods = methodsOf(config);
  const emit = options.onEvent ?? (() => {});
  let finishedHere = 0;
  const finishedIteration = (): void => {
    finishedHere++;
    if (options.stopAfterIterations !== undefined && finishedHere >= options.stopAfterIterations) throw new RunInterrupted(dir);
  };
  const evals: Record<string, ModelEval> = {};
  let bestReward = 0;
  let totalSteps = 0;
  let doneSteps = 0;
  for (const n of sizes) totalSteps += totalStepsOf({ ...config, seeds: [0] }, n);
  emit({ type: 'start', experiment: config.name, totalSteps, doneSteps });

  for (const [seedIndex, seed] of config.seeds.entries()) {
    const { world, learned } = judgedWorld(config, seed, buildWorld(config, seed, preferencesText, sources), preferencesText, sources);
    if (learned) writeJson(storage, `judge/seed${seed}.json`, learned.report);
    bestReward = Math.max(bestReward, ...world.testPrompts.map((x) => world.bestReward(x)));
    const evalOptions = { samples: config.eval.samples, beta: config.algorithm.beta };
    const evalGenerator = (): Generator => new Generator(streamSeed(seed, 5));

    // The SFT model.
    const sft = initialPolicy(config, world, seed, start);
    const sftKey = unitKey(seed, 'SFT', 'sft');
    const sftPath = checkpointPath(seed, 'SFT', 'sft');
    const sftSteps = world.kind === 'language' ? config.sft.steps : 0;
    if (state.units[sftKey]) {
      loadCheckpoint(storage, sftPath, sft, { seed, method: 'SFT' }, ckpt);
      doneSteps += sftSteps;
    } else {
      try {
        runSft(
          sft,
          world.demonstrations,
          config.sft.steps > 0 && world.kind === 'language' ? config.sft : { ...config.sft, steps: 0 },
          new Generator(streamSeed(seed, 2)),
          (step, loss) => {
            doneSteps++;
            log({ experiment: config.name, seed, method: 'SFT', iteration: 0, step, loss });
            emit({ type: 'step', experiment: config.name, seed, method: 'SFT', iteration: 0, step, doneSteps, totalSteps, loss });
          },
        );
      } catch (e) {
        if (!(e instanceof NonFiniteLossError)) throw e;
        // The checkpoints that exist are the earlier seeds' (a resume redoes this seed's SFT).
        const earlier = config.seeds.slice(0, seedIndex);
        const kept =
          earlier.length === 0
            ? 'no checkpoint exists yet'
            : `the checkpoints of seed${earlier.length > 1 ? 's' : ''} ${earlier.join(', ')} are kept`;
        throw new Error(`seed ${seed}: ${e.message}; seed ${seed} has no checkpoint (SFT is its first stage); ${kept}`, { cause: e });
      }
      saveCheckpoint(storage, sftPath, sft, { seed: String(seed), method: 'SFT' }, ckpt);
      state.units[sftKey] = { eval: evaluateModel(world, sft, null, evalOptions, evalGenerator()) };
      saveState();
    }
    evals[sftKey] = state.units[sftKey]!.eval;

    for (const method of methods) {
      const generator = new Generator(streamSeed(seed, 3));
      const rankerGenerator = new Generator(streamSeed(seed, 4));
      const ranker = makeRanker(
        config.ranker,
        world.trueReward,
        rankerGenerator,
        judge ? new ModuleRanker(judge, world.formatPrompt, world.formatResponse) : (learned?.ranker ?? null),
      );
      const algorithm = { ...config.algorithm, alpha: method.alpha };
      const first = algorithm.zephyr ? 0 : 1;
      // Resume after the last finished iteration of this method, if any.
      let start: Policy = sft;
      let firstIteration = first;
      for (let t = first; t <= algorithm.iterations; t++) {
        const unit = state.units[unitKey(seed, method.name, t)];
        if (!unit) break;
        evals[unitKey(seed, method.name, t)] = unit.eval;
        firstIteration = t + 1;
        generator.setState(fromJsonState(unit.generator!));
        rankerGenerator.setState(fromJsonState(unit.rankerGenerator!));
      }
      const sizes = splitPortions(world.preferences, totalIterations(algorithm)).map((p) => stepsPerIteration(p.length, algorithm));
      for (let t = first; t < firstIteration; t++) doneSteps += sizes[t - first]!;
      if (firstIteration > algorithm.iterations) continue;
      if (firstIteration > first) {
        start = sft.clone();
        loadCheckpoint(
          storage,
          checkpointPath(seed, method.name, firstIteration - 1),
          start,
          { seed, method: method.name, iteration: firstIteration - 1 },
          ckpt,
        );
      }
      try {
        runAlgorithm(
          start,
          world.preferences,
          ranker,
          algorithm,
          generator,
          {
            onLog: (record: StepRecord) => log({ experiment: config.name, seed, method: method.name, ...record }),
            onStep: (record: StepRecord) => {
              doneSteps++;
              emit({
                type: 'step',
                experiment: config.name,
                seed,
                method: method.name,
                iteration: record.iteration,
                step: record.step,
                doneSteps,
                totalSteps,
                loss: record.loss,
              });
            },
            onIterationEnd: ({ iteration, policy, reference, data }) => {
              options.onIterationData?.({ seed, method: method.name, iteration, data });
              const key = unitKey(seed, method.name, iteration);
              writeIterationData(storage, seed, method.name, iteration, world, data, ranker);
              saveCheckpoint(
                storage,
                checkpointPath(seed, method.name, iteration),
                policy,
                { seed: String(seed), method: method.name, alpha: String(method.alpha), iteration: String(iteration) },
                ckpt,
              );
              const modelEval = evaluateModel(world, policy, reference, evalOptions, evalGenerator());
              state.units[key] = {
                eval: modelEval,
                generator: toJsonState(generator.getState()),
                rankerGenerator: toJsonState(rankerGenerator.getState()),
              };
              evals[key] = modelEval;
              saveState();
              emit({
                type: 'iteration',
                experiment: config.name,
                seed,
                method: method.name,
                iteration,
                meanGreedy: modelEval.meanGreedy,
                meanSampled: modelEval.meanSampled,
              });
              finishedIteration();
            },
          },
          firstIteration,
        );
      } catch (e) {
        if (e instanceof NonFiniteLossError) {
          const last = e.iteration - 1 >= first ? checkpointPath(seed, method.name, e.iteration - 1) : sftPath;
          throw new Error(`seed ${seed}, ${method.name}: ${e.message} (${describePath(storage, last)})`);
        }
        throw e;
      }
    }
  }
  emit({ type: 'done', experiment: config.name, dir });
  return { config, methods, evals, bestReward };
}
