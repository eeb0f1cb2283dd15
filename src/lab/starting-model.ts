/**
 * A pretrained starting policy (`model.init: {"hf": "./dir"}`): a GPT-2-shaped Hugging Face folder, as
 * `selm import hf` reads and `selm export hf` writes, replaces the freshly initialised GPT of a language or text
 * run; SFT (sft.steps, 0 to skip it) and Algorithm 1 then start from its weights. The folder sets the model's
 * shape, and in the text world its byte-level tokenizer replaces the one trained on the file; in the language
 * world its vocabulary must be the world's, token for token.
 *
 * Browser-safe: the folder is read by the caller (lab/node/hf-folder.ts, `loadModel` of the runner's options);
 * this file checks what was read against the config and the world, and every mismatch names both sides.
 */
import type { ByteBpeTokenizer } from '../nn/byte-bpe.js';
import type { GPT } from '../nn/gpt.js';
import { InvalidInputError } from './errors.js';
import type { World } from './worlds/types.js';

/** Where a run's starting weights come from: a Hugging Face GPT-2 folder. */
export interface ModelInit {
  hf: string;
}

/** A folder as read: the GPT, its byte-level tokenizer (this project's layout) or its word-level vocabulary. */
export interface StartingModel {
  /** The folder, as the config names it (for messages). */
  source: string;
  model: GPT;
  tokenizer: ByteBpeTokenizer | null;
  /** The vocabulary of a WordLevel tokenizer.json (the language world's export), id by id. */
  wordVocab: readonly string[] | null;
}

/** A starting model that does not fit the run (shape, vocabulary, context), or is not there. */
export class StartingModelError extends InvalidInputError {
  constructor(message: string) {
    super(message);
    this.name = 'StartingModelError';
  }
}

/** The model fields the folder sets (the rest of `model` is the run's own). */
export interface ModelShape {
  width: number;
  heads: number;
  layers: number;
  mlpRatio: number;
}

export function shapeOf(model: GPT): ModelShape {
  const c = model.config;
  return { width: c.width, heads: c.heads, layers: c.layers, mlpRatio: c.mlpWidth / c.width };
}

/** Config problems of `model.init` (its form only; the folder is checked once read). */
export function validateModelInit(init: unknown, worldKind: string): string[] {
  if (init === null || init === undefined) return [];
  const ok = typeof init === 'object' && !Array.isArray(init);
  const keys = ok ? Object.keys(init) : [];
  const hf = ok ? (init as Record<string, unknown>).hf : undefined;
  const p: string[] = [];
  if (!ok || keys.length !== 1 || typeof hf !== 'string' || hf === '')
    p.push(`model.init: must be null or {"hf": "path/to/a/hugging-face/gpt2/folder"}, got ${JSON.stringify(init)}`);
  if (worldKind === 'bandit') p.push("model.init: the bandit world's policy is a table, not a GPT; remove it");
  return p;
}

/**
 * Fills the model fields a config file left out from the folder's shape (what `selm train --config` does before
 * validating); a field the file gives must equal the folder's. `given` is the file's `model` object as written.
 */
export function fillModelShape<C extends { model: ModelShape & { init?: ModelInit | null } }>(
  config: C,
  given: unknown,
  start: StartingModel,
): C {
  const shape = shapeOf(start.model);
  const stated = typeof given === 'object' && given !== null ? (given as Record<string, unknown>) : {};
  const model = { ...config.model };
  for (const key of ['width', 'heads', 'layers', 'mlpRatio'] as const) if (!Object.hasOwn(stated, key)) model[key] = shape[key];
  return { ...config, model };
}

const HF_NAMES: Record<keyof ModelShape, string> = { width: 'n_embd', heads: 'n_head', layers: 'n_layer', mlpRatio: 'n_inner / n_embd' };

/**
 * Everything that keeps `start` from being this run's starting policy, each naming the config's value and the
 * folder's: the model's shape, the vocabulary, the context length.
 */
export function startingModelProblems(model: ModelShape, world: World, start: StartingModel): string[] {
  const p: string[] = [];
  const shape = shapeOf(start.model);
  const c = start.model.config;
  for (const key of ['width', 'heads', 'layers', 'mlpRatio'] as const)
    if (Math.abs(model[key] - shape[key]) > 1e-9)
      p.push(
        `model.${key}: ${model[key]} in the config, but ${start.source} has ${HF_NAMES[key]} ${shape[key]} (leave the field out to take the folder's)`,
      );
  const w = world as { tokenizer?: { vocabSize: number; vocab?: readonly string[] }; contextLength?: number; text?: true };
  if (w.contextLength !== undefined && w.contextLength > c.contextLength)
    p.push(
      `world: rows of up to ${w.contextLength} tokens do not fit ${start.source}'s n_positions ${c.contextLength} (lower world.contextLength or world.maxLength)`,
    );
  if (w.text) {
    if (!start.tokenizer)
      p.push(
        `model.init: ${start.source} has no byte-level tokenizer in this project's layout (vocab.json + merges.txt as selm export hf writes them); the text world needs the model's own tokenizer`,
      );
    else if (start.tokenizer.vocabSize > c.vocabSize)
      p.push(`model.init: ${start.source}'s tokenizer has ${start.tokenizer.vocabSize} ids, its model only ${c.vocabSize} (vocab_size)`);
    return p;
  }
  const vocab = w.tokenizer?.vocab;
  if (!vocab) return p;
  if (c.vocabSize !== vocab.length)
    p.push(`model.init: the language world has ${vocab.length} token ids, ${start.source} has vocab_size ${c.vocabSize}`);
  else if (start.tokenizer) p.push(`model.init: ${start.source} has a byte-level tokenizer; the language world's vocabulary is words`);
  else if (start.wordVocab) {
    const i = vocab.findIndex((t, k) => start.wordVocab![k] !== t);
    if (i >= 0 || start.wordVocab.length !== vocab.length)
      p.push(
        `model.init: ${start.source}'s tokenizer.json gives id ${i >= 0 ? i : vocab.length} to ${JSON.stringify(start.wordVocab[i >= 0 ? i : vocab.length] ?? null)}, the language world to ${JSON.stringify(vocab[i] ?? null)}`,
      );
  }
  return p;
}

/** Throws a StartingModelError listing every problem (nothing is written before). */
export function checkStartingModel(model: ModelShape, world: World, start: StartingModel): void {
  const p = startingModelProblems(model, world, start);
  if (p.length > 0) throw new StartingModelError(`${start.source} cannot start this run:\n${p.map((x) => `  ${x}`).join('\n')}`);
}
