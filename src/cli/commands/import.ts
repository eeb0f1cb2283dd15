/** `selm import data|hf`: real preference files (streamed, checked, normalised) and Hugging Face GPT-2 folders. */
import { gpt2ConfigJson } from '../../nn/hf-gpt2.js';
import { saveModel } from '../../nn/node/checkpoint-file.js';
import { readHfFolder } from '../../lab/node/hf-folder.js';
import { importPreferenceFile } from '../../lab/node/import-stream.js';
import { flag, parse, stringOption, UsageError } from '../args.js';

export const IMPORT_USAGE = `usage: selm import data FILE [--out FILE] [--json]
       selm import hf DIR [--out FILE] [--json]

data  reads a preference JSONL file line by line (any size, bounded memory): TRL's standard format (string
      prompt/chosen/rejected), its conversational format (role/content message lists, flattened by the chat
      template of docs/scale-out.md), UltraFeedback-binarized rows (score_chosen/score_rejected), optional
      reference_response, and this project's own D_t exports. Extra columns are kept and counted. Errors name
      FILE:LINE and the field. With --out, writes the normalised file, usable as a text world's "preferences".
hf    reads a Hugging Face GPT-2 folder (config.json + model.safetensors in float32/float64, tokenizer files
      in this project's layout optional) and checks that it loads; with --out, writes it as a model
      checkpoint whose metadata records the model config. To start a run from the folder, name it in the
      config: "model": {"init": {"hf": "DIR"}} (docs/scale-out.md).

options:
  --out FILE   where to write (atomically)
  --json       print the summary as one JSON object
  -h, --help   this help`;

export async function runImportCommand(argv: string[]): Promise<number> {
  const [what, ...rest] = argv;
  if (what === undefined || what === '--help' || what === '-h') {
    console.log(IMPORT_USAGE);
    return what === undefined ? 2 : 0;
  }
  if (what !== 'data' && what !== 'hf')
    throw new UsageError(`selm import: unknown source '${what}' (expected data or hf)\n\n${IMPORT_USAGE}`);
  const p = parse(`import ${what}`, rest, { out: { type: 'string' }, json: { type: 'boolean' } }, 1);
  if (flag(p, 'help')) {
    console.log(IMPORT_USAGE);
    return 0;
  }
  const source = p.positionals[0];
  if (source === undefined) throw new UsageError(`selm import ${what}: which ${what === 'data' ? 'file' : 'folder'}?\n\n${IMPORT_USAGE}`);
  const out = stringOption(p, 'out') ?? null;
  if (what === 'data') {
    const summary = await importPreferenceFile(source, out);
    if (flag(p, 'json')) console.log(JSON.stringify({ type: 'import', source, out, ...summary }));
    else {
      const extras = Object.entries(summary.extras).map(([k, n]) => `${k} (${n})`);
      console.log(
        `selm import data: ${source}: ${summary.records} preference triples, ${summary.withReference} with reference_response, ${summary.withScores} with scores${out ? ` -> ${out}` : ''}`,
      );
      if (extras.length > 0) console.log(`extra columns kept: ${extras.join(', ')}`);
    }
    return 0;
  }
  const { model, tokenizer } = readHfFolder(source);
  const parameters = model.parameters().reduce((a, t) => a + t.data.length, 0);
  if (out !== null) saveModel(out, model, { 'selm-ts.model': JSON.stringify(model.config), source });
  const info = {
    type: 'import',
    source,
    out,
    config: gpt2ConfigJson(model.config),
    parameters,
    tokenizer: tokenizer ? `byte-level BPE, ${tokenizer.vocabSize} ids` : null,
  };
  if (flag(p, 'json')) console.log(JSON.stringify(info));
  else
    console.log(
      `selm import hf: ${source}: GPT-2 with ${model.config.layers} layers, width ${model.config.width}, ${model.config.heads} heads, ${parameters} parameters; tokenizer ${info.tokenizer ?? "not in this project's layout (not loaded)"}${out ? ` -> ${out}` : ''}`,
    );
  return 0;
}
