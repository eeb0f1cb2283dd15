/** `selm train`: one experiment from a config file (every knob), or the continuation of an interrupted run. */
import { join } from 'node:path';
import { starterConfig } from '../../lab/config.js';
import { readRunConfig } from '../../lab/runner.js';
import { FolderStorage } from '../../lab/node/folder-storage.js';
import { resultsTable } from '../../lab/report.js';
import { flag, parse, stringOption, timestamp, UsageError } from '../args.js';
import { printResult } from '../output.js';
import { chooseReporter } from '../progress.js';
import { checkRunFolder, readConfigFile, runAndReport, tableNumbers } from '../run-report.js';

export const TRAIN_USAGE = `usage: selm train --config FILE [--out DIR] [--json]
       selm train --resume RUN [--json]
       selm train --print-config bandit|language|text [--json]

Runs SFT, then Algorithm 1 with SELM (α from the config), iterative DPO (α = 0) and the α sweep, over the
config's seeds; evaluates every iteration with the world's true reward r* (in the text world, its judge);
writes the run folder: config.json, metrics.jsonl, state.json, checkpoints/ (safetensors), data/ (each
iteration's D_t as JSONL), eval.json, summary.md and figures/*.svg.

options:
  --config FILE   a JSON config: {"world": {"kind": "bandit" | "language" | "text", ...}, "algorithm": {...},
                  ...}; fields left out take the world's defaults, unknown fields are errors;
                  "model": {"init": {"hf": DIR}} starts from a Hugging Face GPT-2 folder (docs/scale-out.md)
  --print-config KIND
                  print the full default config of a world (every knob), a starting point for --config
  --out DIR       the run folder (default runs/<name>-<time>); must not hold a run already
  --resume RUN    continue an interrupted run from its last finished iteration (bit-identical to an
                  uninterrupted run)
  --json          stdout is JSON lines only: progress records, then one result record (see README,
                  Commands); without it stdout is the results table and progress goes to stderr
  -h, --help      this help

Ctrl-C stops a run at once; every finished iteration is already saved, and --resume continues it (after
removing the selm.lock the stopped run left; --resume prints the command).`;

export async function runTrainCommand(argv: string[]): Promise<number> {
  const p = parse('train', argv, {
    config: { type: 'string' },
    out: { type: 'string' },
    resume: { type: 'string' },
    json: { type: 'boolean' },
    'print-config': { type: 'string' },
  });
  if (flag(p, 'help')) {
    console.log(TRAIN_USAGE);
    return 0;
  }
  const json = flag(p, 'json');
  const printKind = stringOption(p, 'print-config');
  if (printKind !== undefined) {
    if (printKind !== 'bandit' && printKind !== 'language' && printKind !== 'text')
      throw new UsageError(`selm train: --print-config takes 'bandit', 'language' or 'text', got '${printKind}'`);
    for (const other of ['config', 'resume', 'out'])
      if (stringOption(p, other) !== undefined) throw new UsageError(`selm train: --print-config cannot be combined with --${other}`);
    if (json) printResult('train', { ok: true, config: starterConfig(printKind) });
    else console.log(JSON.stringify(starterConfig(printKind), null, 2));
    return 0;
  }
  const configPath = stringOption(p, 'config');
  const resume = stringOption(p, 'resume');
  if ((configPath === undefined) === (resume === undefined))
    throw new UsageError(`selm train: give exactly one of --config FILE or --resume RUN\n\n${TRAIN_USAGE}`);
  if (resume !== undefined && stringOption(p, 'out') !== undefined)
    throw new UsageError('selm train: --out cannot be combined with --resume (the run stays in its folder)');
  if (resume !== undefined) checkRunFolder(resume);
  const config = resume !== undefined ? readRunConfig(new FolderStorage(resume)) : readConfigFile(configPath!);
  const dir = resume ?? stringOption(p, 'out') ?? join('runs', `${config.name}-${timestamp()}`);
  const reporter = chooseReporter('train', json);
  if (!json) console.error(`selm train: writing ${dir} (Ctrl-C stops; 'rm ${dir}/selm.lock' then 'selm train --resume ${dir}' continues)`);
  const started = performance.now();
  const summary = await runAndReport(config, dir, reporter, resume !== undefined);
  const seconds = (performance.now() - started) / 1000;
  if (json) printResult('train', { ok: true, dir, seconds, results: [tableNumbers(summary)] });
  else console.log(`${resultsTable(summary)}\n\nreport: ${join(dir, 'summary.md')}`);
  return 0;
}
