/** Shared by `selm demo`, `selm train` and `selm eval`: run (or resume) an experiment, then write its report. */
import { readFileSync } from 'node:fs';
import { ConfigError, parseExperimentConfig, type ExperimentConfig } from '../lab/config.js';
import { runExperiment } from '../lab/runner.js';
import { FolderStorage } from '../lab/node/folder-storage.js';
import { readTextFile } from '../lab/node/files.js';
import { loadJudgeModule } from '../lab/node/load-judge.js';
import { writeReport } from '../lab/report.js';
import type { Summary } from '../lab/summary.js';
import type { Reporter } from './progress.js';

export async function runAndReport(config: ExperimentConfig, dir: string, reporter: Reporter, resume = false): Promise<Summary> {
  try {
    const storage = new FolderStorage(dir);
    const results = await runExperiment(config, { storage, resume, readFile: readTextFile, loadJudge: loadJudgeModule, onEvent: (e) => reporter.onEvent(e) });
    return await writeReport(storage, results);
  } finally {
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
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError([`not valid JSON (${e instanceof Error ? e.message : String(e)})`], path);
  }
  return parseExperimentConfig(raw, path);
}

/** The results table's numbers (what --json prints); every figure's data is in the run's eval.json. */
export function tableNumbers(s: Summary): Pick<Summary, 'experiment' | 'world' | 'seeds' | 'alpha' | 'beta' | 'bestReward' | 'rows' | 'differences'> {
  return { experiment: s.experiment, world: s.world, seeds: s.seeds, alpha: s.alpha, beta: s.beta, bestReward: s.bestReward, rows: s.rows, differences: s.differences };
}
