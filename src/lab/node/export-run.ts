/**
 * A finished run handed to the tools that run at scale (Node only):
 *  - `exportHf`: one checkpoint as a Hugging Face GPT-2 folder (hf-folder.ts) with the run's tokenizer;
 *  - `exportTrl`: what a TRL run needs: each iteration's D_t (already in TRL's layout, data/trl-layout.ts), the
 *    starting model (the SFT checkpoint) as a Hugging Face folder, and the config mapped onto TRL's DPOConfig,
 *    the authors' SELM trainer and TRL's XPOTrainer (trl-config.ts), with the differences that remain.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ByteBpeTokenizer } from '../../nn/byte-bpe.js';
import type { GPT } from '../../nn/gpt.js';
import { hfTokenizerFiles, hfWordLevelTokenizerFiles } from '../../nn/hf-tokenizer.js';
import { Tokenizer } from '../../nn/tokenizer.js';
import type { GptPolicy } from '../../selm/policies/gpt.js';
import { methodsOf, methodSlug, type ExperimentConfig } from '../config.js';
import { buildWorld, checkpointPath, initialPolicy, loadCheckpoint, readRunConfig } from '../runner.js';
import { loadStartOf } from '../setup.js';
import { trlConfigOf } from '../trl-config.js';
import type { World } from '../worlds/types.js';
import { readTextFile } from './files.js';
import { FolderStorage } from './folder-storage.js';
import type { StartingModel } from '../starting-model.js';
import { loadStartingModel, writeHfFolder } from './hf-folder.js';

export interface CheckpointChoice {
  seed?: number;
  /** 'SELM' (default), 'DPO', or a sweep method's name; ignored for the SFT model. */
  method?: string;
  /** 1..T (default T); 0 is the SFT model (or the Zephyr recipe's DPO iteration in a Zephyr run). */
  iteration?: number;
}

function worldOf(config: ExperimentConfig, seed: number, start: StartingModel | null): World {
  return buildWorld(config, seed, config.preferences === null ? null : readTextFile(config.preferences), { readFile: readTextFile, start });
}

function tokenizerFiles(world: World, contextLength: number): Record<string, string> {
  const tokenizer = (world as { tokenizer?: unknown }).tokenizer;
  if (tokenizer instanceof ByteBpeTokenizer) return hfTokenizerFiles(tokenizer, contextLength);
  if (tokenizer instanceof Tokenizer) return hfWordLevelTokenizerFiles(tokenizer, contextLength);
  return {};
}

/** The GPT of one checkpoint of a run, with its world. */
export function runCheckpointModel(
  run: string,
  choice: CheckpointChoice = {},
): { config: ExperimentConfig; world: World; model: GPT; label: string } {
  const storage = new FolderStorage(run);
  const config = readRunConfig(storage);
  if (config.world.kind === 'bandit')
    throw new Error(`${run}: a bandit run trains a table of logits, not a GPT; there is no model to export`);
  const seed = choice.seed ?? config.seeds[0]!;
  if (!config.seeds.includes(seed)) throw new Error(`${run}: seed ${seed} is not one of the run's seeds (${config.seeds.join(', ')})`);
  const iteration = choice.iteration ?? config.algorithm.iterations;
  const methods = methodsOf(config);
  const method = methods.find((m) => m.name === (choice.method ?? 'SELM') || methodSlug(m.name) === choice.method);
  if (!method) throw new Error(`${run}: no method '${choice.method}' (the run has ${methods.map((m) => methodSlug(m.name)).join(', ')})`);
  const sft = iteration === 0 && !config.algorithm.zephyr;
  const path = sft ? checkpointPath(seed, 'SFT', 'sft') : checkpointPath(seed, method.name, iteration);
  if (!storage.exists(path))
    throw new Error(`${run}/${path}: no such checkpoint (is the run finished? iterations are 0..${config.algorithm.iterations})`);
  // A run started from a Hugging Face folder needs it again: it sets the model's shape and the text world's tokenizer.
  const start = loadStartOf(config, { loadModel: loadStartingModel });
  const world = worldOf(config, seed, start);
  const policy = initialPolicy(config, world, seed, start) as GptPolicy;
  loadCheckpoint(storage, path, policy);
  return { config, world, model: policy.model, label: sft ? `seed${seed}-sft` : `seed${seed}-${methodSlug(method.name)}-iter${iteration}` };
}

/** Writes one checkpoint as a Hugging Face folder; returns the folder and its files. */
export function exportHf(run: string, out: string | null, choice: CheckpointChoice = {}): { dir: string; files: string[] } {
  const { world, model, label, config } = runCheckpointModel(run, choice);
  const dir = out ?? join(run, 'hf', label);
  const provenance = { run, checkpoint: label, alpha: config.algorithm.alpha, beta: config.algorithm.beta, world: config.world.kind };
  const files = writeHfFolder(dir, model, tokenizerFiles(world, model.config.contextLength), {
    'selm_export.json': `${JSON.stringify(provenance, null, 2)}\n`,
  });
  return { dir, files };
}

/**
 * The exact-token count of the hand-off: rows whose `prompt + chosen` and `prompt + rejected`, tokenised as TRL
 * does, are exactly the rows the run trained on (checked with the trained ids when the run wrote D_t,
 * data/iteration-data.ts), and why the others are not.
 */
export interface ExactTokenCount {
  rows: number;
  exact: number;
  truncated: number;
  retokenized: number;
}

function countExact(files: readonly string[]): ExactTokenCount {
  const count: ExactTokenCount = { rows: 0, exact: 0, truncated: 0, retokenized: 0 };
  for (const file of files)
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const row = JSON.parse(line) as { truncated?: boolean; retokenized?: boolean };
      count.rows++;
      if (row.truncated) count.truncated++;
      else if (row.retokenized) count.retokenized++;
      else count.exact++;
    }
  return count;
}

/** Writes the TRL hand-off folder: data/, model/ (the SFT model), trl_config.json and README.md. */
export function exportTrl(run: string, out: string | null, seed?: number): { dir: string; datasets: string[]; exact: ExactTokenCount } {
  const storage = new FolderStorage(run);
  const config = readRunConfig(storage);
  const s = seed ?? config.seeds[0]!;
  const dir = out ?? join(run, 'trl');
  const { model, world } = runCheckpointModel(run, { seed: s, iteration: 0 });
  writeHfFolder(join(dir, 'model'), model, tokenizerFiles(world, model.config.contextLength));
  const datasets: string[] = [];
  const source = join(run, 'data', `seed${s}`);
  if (!existsSync(source)) throw new Error(`${source}: the run wrote no per-iteration data (runs before this version did not)`);
  for (const method of readdirSync(source).sort()) {
    mkdirSync(join(dir, 'data', method), { recursive: true });
    for (const file of readdirSync(join(source, method)).sort()) {
      copyFileSync(join(source, method, file), join(dir, 'data', method, file));
      datasets.push(`data/${method}/${file}`);
    }
  }
  const mapping = trlConfigOf(config, model.config.contextLength);
  writeFileSync(join(dir, 'trl_config.json'), `${JSON.stringify(mapping, null, 2)}\n`);
  const exact = countExact(datasets.map((d) => join(dir, d)));
  writeFileSync(join(dir, 'README.md'), trlReadme(run, s, datasets, exact));
  return { dir, datasets, exact };
}

/** "93 of 96 rows tokenise exactly as trained (3 truncated, 0 retokenised)". */
export function exactTokenLine(c: ExactTokenCount): string {
  return `${c.exact} of ${c.rows} rows tokenise exactly as trained (${c.truncated} truncated, ${c.retokenized} retokenised)`;
}

function trlReadme(run: string, seed: number, datasets: string[], exact: ExactTokenCount): string {
  return `# TRL hand-off of ${run} (seed ${seed})

- \`model/\`: the SFT model, the starting point of Algorithm 1, as a Hugging Face GPT-2 folder.
- \`data/METHOD/iterT.jsonl\`: D_t of iteration T after the judge's re-ranking, with columns prompt, chosen,
  rejected, reference_response (y_ref) and the judge's scores. The prompt ends with \`<sep>\` so that TRL's
  tokenisation of \`prompt + chosen\` is exactly the row this run trained on: ${exactTokenLine(exact)}. A
  \`"truncated": true\` row holds a response the model never ended (TRL would add an EOS); a
  \`"retokenized": true\` row a sampled y_ref whose text tokenises into other ids than the ones sampled.
- \`trl_config.json\`: the run's settings as TRL's \`DPOConfig\`, the authors' SELM trainer and TRL's \`XPOTrainer\`.

Iteration t trains on data/METHOD/iter<t>.jsonl starting from iteration t-1's model (model/ for t = 1), with
a fresh optimiser and schedule. See docs/scale-out.md in selm-ts for the full recipe and what differs.

Datasets: ${datasets.join(', ')}
`;
}
