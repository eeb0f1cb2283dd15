/**
 * Hugging Face model folders on disk (Node only): a GPT written as GPT2LMHeadModel (config.json,
 * model.safetensors with the `"format": "pt"` metadata transformers requires, the tokenizer files), and such a
 * folder read back into a GPT (float32 or float64 safetensors; F16/BF16 files are refused by safetensors.ts).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Generator, astype, type Tensor } from '../../autograd/index.js';
import { writeFileAtomic } from '../../nn/node/checkpoint-file.js';
import type { ByteBpeTokenizer } from '../../nn/byte-bpe.js';
import { GPT } from '../../nn/gpt.js';
import { fromHfStateDict, gpt2ConfigJson, gptConfigFromHf, toHfStateDict } from '../../nn/hf-gpt2.js';
import { tokenizerFromHfFiles } from '../../nn/hf-tokenizer.js';
import { nonFiniteProblems } from '../../nn/checkpoint.js';
import { decodeSafetensors, encodeSafetensors } from '../../nn/safetensors.js';
import { InvalidInputError } from '../errors.js';
import { StartingModelError, type StartingModel } from '../starting-model.js';

const encoder = new TextEncoder();

/** Writes `model` and `tokenizerFiles` (hf-tokenizer.ts) into `dir` (created if needed); returns the file names. */
export function writeHfFolder(
  dir: string,
  model: GPT,
  tokenizerFiles: Record<string, string>,
  extra: Record<string, string> = {},
): string[] {
  mkdirSync(dir, { recursive: true });
  const files: Record<string, Uint8Array> = {
    'config.json': encoder.encode(`${JSON.stringify(gpt2ConfigJson(model.config), null, 2)}\n`),
    'generation_config.json': encoder.encode(
      `${JSON.stringify({ bos_token_id: model.config.vocabSize > 1 ? 1 : 0, eos_token_id: 2, pad_token_id: 0 }, null, 2)}\n`,
    ),
    'model.safetensors': encodeSafetensors(toHfStateDict(model.namedParameters()), { format: 'pt' }),
  };
  for (const [name, text] of Object.entries({ ...tokenizerFiles, ...extra })) files[name] = encoder.encode(text);
  for (const [name, bytes] of Object.entries(files)) writeFileAtomic(join(dir, name), bytes);
  return Object.keys(files).sort();
}

function readText(dir: string, name: string): string {
  const path = join(dir, name);
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot read (${e instanceof Error ? e.message : String(e)})`);
  }
}

export interface HfFolder {
  model: GPT;
  /** The byte-level tokenizer, when the folder has vocab.json + merges.txt in this project's layout. */
  tokenizer: ByteBpeTokenizer | null;
}

/** A Hugging Face folder that cannot be read as a GPT-2 model: invalid input (exit 2), naming the file. */
export class HfFolderError extends InvalidInputError {
  constructor(message: string) {
    super(message);
    this.name = 'HfFolderError';
  }
}

/**
 * Reads a GPT-2 folder into a GPT of `dtype` (default float32). Every problem is an HfFolderError naming the file:
 * config, weights (a NaN or an infinity in any tensor is refused, as in the project's own checkpoints) and
 * tokenizer.
 */
export function readHfFolder(dir: string, dtype: 'float32' | 'float64' = 'float32'): HfFolder {
  try {
    return readHfFolderFiles(dir, dtype);
  } catch (e) {
    if (e instanceof HfFolderError) throw e;
    throw new HfFolderError(e instanceof Error ? e.message : String(e));
  }
}

function readHfFolderFiles(dir: string, dtype: 'float32' | 'float64'): HfFolder {
  let raw: unknown;
  try {
    raw = JSON.parse(readText(dir, 'config.json'));
  } catch (e) {
    throw new HfFolderError(e instanceof SyntaxError ? `${join(dir, 'config.json')}: not valid JSON (${e.message})` : (e as Error).message);
  }
  const config = gptConfigFromHf(raw, join(dir, 'config.json'));
  const weightsPath = join(dir, 'model.safetensors');
  if (!existsSync(weightsPath))
    throw new HfFolderError(`${weightsPath}: missing (only safetensors weights are read, not pytorch_model.bin)`);
  let tensors: Map<string, Tensor>;
  try {
    tensors = decodeSafetensors(readFileSync(weightsPath)).tensors;
  } catch (e) {
    throw new HfFolderError(`${weightsPath}: ${(e as Error).message}`);
  }
  const bad = nonFiniteProblems(tensors);
  if (bad.length > 0) throw new HfFolderError(`${weightsPath}: the weights are not finite: ${bad.slice(0, 5).join('; ')}`);
  const model = new GPT({ ...config, dtype }, new Generator(0));
  let state: Record<string, Tensor>;
  try {
    state = fromHfStateDict(tensors, model.config);
  } catch (e) {
    throw new HfFolderError(`${weightsPath}: ${(e as Error).message}`);
  }
  model.loadStateDict(Object.fromEntries(Object.entries(state).map(([k, t]) => [k, t.dtype === dtype ? t : astype(t, dtype)])));
  const hasBpe = existsSync(join(dir, 'vocab.json')) && existsSync(join(dir, 'merges.txt'));
  const tokenizer = hasBpe ? tokenizerFromHfFiles(readText(dir, 'vocab.json'), readText(dir, 'merges.txt'), dir) : null;
  return { model, tokenizer };
}

/** The ids of a WordLevel tokenizer.json (the language world's export), or null when the folder has another kind. */
function wordLevelVocab(dir: string): string[] | null {
  const path = join(dir, 'tokenizer.json');
  if (!existsSync(path)) return null;
  let fast: { model?: { type?: unknown; vocab?: unknown } };
  try {
    fast = JSON.parse(readFileSync(path, 'utf8')) as typeof fast;
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (fast.model?.type !== 'WordLevel' || typeof fast.model.vocab !== 'object' || fast.model.vocab === null) return null;
  const out: string[] = [];
  for (const [token, id] of Object.entries(fast.model.vocab as Record<string, unknown>)) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0)
      throw new Error(`${path}: token ${JSON.stringify(token)} has id ${String(id)}`);
    out[id] = token;
  }
  return out;
}

/**
 * A `model.init` folder read as a starting model (float32, the training dtype); anything wrong with the folder is
 * a StartingModelError (invalid input, exit 2) naming it.
 */
export function loadStartingModel(dir: string): StartingModel {
  if (!existsSync(dir)) throw new StartingModelError(`model.init: ${dir}: no such folder`);
  try {
    const { model, tokenizer } = readHfFolder(dir, 'float32');
    return { source: dir, model, tokenizer, wordVocab: tokenizer ? null : wordLevelVocab(dir) };
  } catch (e) {
    throw new StartingModelError(`model.init: ${e instanceof Error ? e.message : String(e)}`);
  }
}
