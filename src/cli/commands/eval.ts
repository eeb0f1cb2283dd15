/** `selm eval RUN`: re-evaluates a finished run from its checkpoints and rewrites its report. */
import { join } from 'node:path';
import { evaluateRun, readRunConfig } from '../../lab/runner.js';
import { loadJudgeOf, loadStartOf } from '../../lab/setup.js';
import { loadJudgeModule } from '../../lab/node/load-judge.js';
import { loadStartingModel } from '../../lab/node/hf-folder.js';
import { FolderStorage } from '../../lab/node/folder-storage.js';
import { readTextFile } from '../../lab/node/files.js';
import { lockRunFolder } from '../../lab/node/run-lock.js';
import { resultsTable, writeReport } from '../../lab/report.js';
import type { Summary } from '../../lab/summary.js';
import { flag, parse, UsageError } from '../args.js';
import { printResult } from '../output.js';
import { checkRunFolder, tableNumbers } from '../run-report.js';

export const EVAL_USAGE = `usage: selm eval RUN [--json] [--allow-nonfinite]

Re-evaluates every checkpoint of a finished run folder on the held-out prompts with the true reward r*
(in a text world, with the run's judge: its module, loaded again from the config's path, or its learned
reward model, trained again exactly as the run trained it), the same seeded evaluation as during
training, so it reproduces eval.json; rewrites eval.json,
summary.md and figures/, and prints the results table.

options:
  --json      print the results as one JSON result record (see README, Commands)
  --allow-nonfinite
              evaluate checkpoints holding NaN or infinite weights (refused otherwise, naming the file)
  -h, --help  this help`;

export async function runEvalCommand(argv: string[]): Promise<number> {
  const p = parse('eval', argv, { json: { type: 'boolean' }, 'allow-nonfinite': { type: 'boolean' } }, 1);
  if (flag(p, 'help')) {
    console.log(EVAL_USAGE);
    return 0;
  }
  const dir = p.positionals[0];
  if (dir === undefined) throw new UsageError(`selm eval: which run? give its folder\n\n${EVAL_USAGE}`);
  checkRunFolder(dir);
  const started = performance.now();
  const storage = new FolderStorage(dir);
  const lock = lockRunFolder(dir, { create: false });
  let summary: Summary;
  try {
    const config = readRunConfig(storage);
    // A text run is evaluated by its judge: the module the config names (loaded from where selm runs, as
    // during training), or the learned judge, which evaluateRun retrains exactly as the run did.
    const judge = await loadJudgeOf(config, { loadJudge: loadJudgeModule });
    const start = loadStartOf(config, { loadModel: loadStartingModel });
    summary = await writeReport(storage, evaluateRun(storage, readTextFile, { allowNonFinite: flag(p, 'allow-nonfinite') }, judge, start));
  } finally {
    lock.release();
  }
  const seconds = (performance.now() - started) / 1000;
  if (flag(p, 'json')) printResult('eval', { ok: true, dir, seconds, results: [tableNumbers(summary)] });
  else console.log(`${resultsTable(summary)}\n\nreport: ${join(dir, 'summary.md')}`);
  return 0;
}
