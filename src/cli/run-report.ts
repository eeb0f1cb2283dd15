/** Shared by `selm demo`, `selm train` and `selm eval`: run (or resume) an experiment, then write its report. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, parseExperimentConfigText, validateExperimentConfig, type ExperimentConfig } from '../lab/config.js';
import { runExperiment } from '../lab/runner.js';
import { divergenceWarnings, RunDivergedError, warningsMarkdown } from '../lab/divergence.js';
import { FolderStorage } from '../lab/node/folder-storage.js';
import { readTextFile } from '../lab/node/files.js';
import { lockRunFolder, type RunLock } from '../lab/node/run-lock.js';
import { loadJudgeModule } from '../lab/node/load-judge.js';
import { loadStartingModel } from '../lab/node/hf-folder.js';
import { fillModelShape } from '../lab/starting-model.js';
import { writeReport } from '../lab/report.js';
import type { Summary } from '../lab/summary.js';
import { UsageError } from './args.js';
import type { Reporter } from './progress.js';

/**
 * `collapse`: what a collapsed policy does to the exit status. 'fail' (selm train: the run asked for went wrong,
 * exit 1, as exploding weights do) or 'warn' (selm demo and selm judges: their sweeps go on purpose to settings
 * where a policy can collapse, such as the demo's α = 10, and a collapse there is a finding to report).
 */
export async function runAndReport(
  config: ExperimentConfig,
  dir: string,
  reporter: Reporter,
  resume = false,
  collapse: 'fail' | 'warn' = 'fail',
): Promise<Summary> {
  // The folder is claimed before anything is written to it; a start that fails removes what it created.
  let lock: RunLock | undefined;
  try {
    lock = lockRunFolder(dir, { create: !resume });
    const storage = new FolderStorage(dir);
    const results = await runExperiment(config, {
      storage,
      resume,
      readFile: readTextFile,
      loadJudge: loadJudgeModule,
      loadModel: loadStartingModel,
      onEvent: (e) => reporter.onEvent(e),
    });
    const summary = await writeReport(storage, results);
    // A finished run can still have diverged: the summary says so, and so does the exit status (1). A collapsed
    // policy fails it too, unless the caller's sweep makes collapse a finding (`collapse: 'warn'`): then the
    // summary and stderr say so, and the run still succeeds.
    const warnings = divergenceWarnings(storage, results);
    if (warnings.length > 0) storage.append('summary.md', warningsMarkdown(warnings, collapse === 'fail'));
    const failures = warnings.filter((w) => collapse === 'fail' || w.kind !== 'collapse');
    if (failures.length > 0) throw new RunDivergedError(dir, failures);
    for (const w of warnings) console.error(`warning: ${w.message}`);
    return summary;
  } catch (e) {
    if (!resume) lock?.removeCreated();
    throw e;
  } finally {
    lock?.release();
    reporter.finish();
  }
}

/** Reads and validates a config file; every problem is a ConfigError naming the file and the field. */
export function readConfigFile(path: string): ExperimentConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError([`cannot read the file (${e instanceof Error ? e.message : String(e)})`], path);
  }
  const config = parseExperimentConfigText(text, path);
  // A starting model sets the model fields the file leaves out (so that config.json records the real shape),
  // and in the text world the vocabulary size; the limits are then checked again against the real sizes.
  if (!config.model.init) return config;
  const start = loadStartingModel(config.model.init.hf);
  const raw = JSON.parse(text.replace(/^\uFEFF/, '')) as { model?: unknown };
  const filled = fillModelShape(config, raw.model, start);
  if (filled.world.kind === 'text' && start.tokenizer) filled.world = { ...filled.world, vocabSize: start.model.config.vocabSize };
  const problems = validateExperimentConfig(filled);
  if (problems.length > 0) throw new ConfigError(problems, path);
  return filled;
}

/**
 * Checks a run folder's config.json before a command works on the run (train --resume, eval, demo --resume), so
 * that a folder without a run is a UsageError and a broken config a ConfigError, both exit code 2, as the same
 * config given with --config.
 */
export function checkRunFolder(dir: string): void {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) throw new UsageError(`${dir}: not a run folder (config.json is missing)`);
  readConfigFile(path);
}

/** The results table's numbers (what --json prints); every figure's data is in the run's eval.json. */
export function tableNumbers(
  s: Summary,
): Pick<Summary, 'experiment' | 'world' | 'seeds' | 'alpha' | 'beta' | 'bestReward' | 'rows' | 'differences'> {
  return {
    experiment: s.experiment,
    world: s.world,
    seeds: s.seeds,
    alpha: s.alpha,
    beta: s.beta,
    bestReward: s.bestReward,
    rows: s.rows,
    differences: s.differences,
  };
}
