/** `selm export hf|trl`: a run's model as a Hugging Face GPT-2 folder, or everything a TRL run needs. */
import { exactTokenLine, exportHf, exportTrl } from '../../lab/node/export-run.js';
import { flag, intOption, parse, stringOption, UsageError } from '../args.js';

export const EXPORT_USAGE = `usage: selm export hf RUN [--seed N] [--method selm|dpo|NAME] [--iteration N] [--out DIR] [--json]
       selm export trl RUN [--seed N] [--out DIR] [--json]

hf   one checkpoint of a finished language or text run as a Hugging Face folder: config.json
     (GPT2LMHeadModel), model.safetensors (GPT-2 names, Conv1D layout, "format": "pt"), the tokenizer files
     (vocab.json + merges.txt + tokenizer.json for byte-level BPE; tokenizer.json for word-level worlds).
     Default: the first seed, SELM, the last iteration; --iteration 0 is the SFT model. Default --out:
     RUN/hf/seedS-METHOD-iterN.
trl  the TRL hand-off (default --out RUN/trl): data/METHOD/iterT.jsonl (each iteration's D_t with
     reference_response and the judge's scores, laid out so TRL tokenises prompt + chosen exactly as this
     run trained), model/ (the SFT model, where Algorithm 1 starts), trl_config.json (DPOConfig fields, the
     authors' alpha, XPO's alpha = α·β, one learning rate per iteration, the differences that remain).
     Prints how many rows tokenise exactly as trained (rows matched / rows exported).
     See docs/scale-out.md.

options:
  --seed N        which seed's models and data
  --method NAME   SELM (default), DPO, or a sweep method (its folder name, e.g. selm-alpha-1)
  --iteration N   1..T, or 0 for the SFT model
  --out DIR       where to write
  --json          print what was written as one JSON object
  -h, --help      this help`;

export async function runExportCommand(argv: string[]): Promise<number> {
  const [what, ...rest] = argv;
  if (what === undefined || what === '--help' || what === '-h') {
    console.log(EXPORT_USAGE);
    return what === undefined ? 2 : 0;
  }
  if (what !== 'hf' && what !== 'trl')
    throw new UsageError(`selm export: unknown target '${what}' (expected hf or trl)\n\n${EXPORT_USAGE}`);
  const options = {
    seed: { type: 'string' },
    method: { type: 'string' },
    iteration: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean' },
  } as const;
  const p = parse(`export ${what}`, rest, options, 1);
  if (flag(p, 'help')) {
    console.log(EXPORT_USAGE);
    return 0;
  }
  const run = p.positionals[0];
  if (run === undefined) throw new UsageError(`selm export ${what}: which run? give its folder\n\n${EXPORT_USAGE}`);
  const seed = intOption(`export ${what}`, p, 'seed', 0);
  const out = stringOption(p, 'out') ?? null;
  if (what === 'hf') {
    const iteration = intOption('export hf', p, 'iteration', 0);
    const method = stringOption(p, 'method');
    const { dir, files } = exportHf(run, out, {
      ...(seed !== undefined ? { seed } : {}),
      ...(method !== undefined ? { method } : {}),
      ...(iteration !== undefined ? { iteration } : {}),
    });
    if (flag(p, 'json')) console.log(JSON.stringify({ type: 'export', target: 'hf', dir, files }));
    else console.log(`selm export hf: ${dir} (${files.join(', ')})`);
    return 0;
  }
  for (const o of ['method', 'iteration'])
    if (stringOption(p, o) !== undefined) throw new UsageError(`selm export trl: --${o} applies to export hf only`);
  const { dir, datasets, exact } = exportTrl(run, out, seed);
  if (flag(p, 'json')) console.log(JSON.stringify({ type: 'export', target: 'trl', dir, datasets, exact }));
  else console.log(`selm export trl: ${dir} (model/, trl_config.json, ${datasets.length} datasets); ${exactTokenLine(exact)}`);
  return 0;
}
