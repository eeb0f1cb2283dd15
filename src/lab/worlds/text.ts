/**
 * The text world: the user's own prompts and preference pairs (a JSONL file in any shape data/records.ts reads),
 * open-vocabulary text through the byte-level tokenizer (or a BPE trained on the file's text, deterministic),
 * SFT on the chosen responses (or a demonstrations file), then Algorithm 1; held-out prompts are evaluated by
 * the judge (a module or a learned reward model), which here plays r*'s role: there is no hidden true reward.
 *
 * Prompts are split by prompt text, not by row, so no held-out prompt is ever trained on. For the GPT policy the
 * world looks like the language world: `tokenizer`, `contextLength` and `config.maxLength` (the longest
 * generated response, before its EOS).
 */
import { Generator } from '../../autograd/index.js';
import { ByteBpeTokenizer } from '../../nn/byte-bpe.js';
import { trainByteBpe } from '../../nn/bpe-train.js';
import { EOS_ID } from '../../nn/tokenizer.js';
import type { Demonstration, Preference, Tokens } from '../../selm/types.js';
import { DataError } from '../data.js';
import { parseJsonlLine, RecordError, type PreferenceRecord } from '../data/records.js';
import type { TextJudge } from '../module-judge.js';
import type { World } from './types.js';

export interface TextConfig {
  kind: 'text';
  /** A JSONL file of {prompt, response} demonstrations for SFT; null: SFT on the preference set's chosen responses. */
  demonstrations: string | null;
  /** Fraction of the distinct prompts held out for evaluation. */
  testFraction: number;
  /** 'byte': the 256 bytes alone; 'bpe': a byte-level BPE trained on the file's text up to `vocabSize` ids. */
  tokenizer: 'byte' | 'bpe';
  vocabSize: number;
  /** Positions of the GPT: BOS + prompt + SEP + response + EOS must fit. */
  contextLength: number;
  /** The longest generated response, in tokens, before its EOS. */
  maxLength: number;
}

export const DEFAULT_TEXT: TextConfig = {
  kind: 'text',
  demonstrations: null,
  testFraction: 0.2,
  tokenizer: 'bpe',
  vocabSize: 512,
  contextLength: 96,
  maxLength: 24,
};

export function validateTextConfig(c: TextConfig): string[] {
  const p: string[] = [];
  if (c.demonstrations !== null && typeof c.demonstrations !== 'string')
    p.push(`demonstrations: must be a path to a JSONL file or null, got ${JSON.stringify(c.demonstrations)}`);
  if (!(c.testFraction > 0 && c.testFraction < 1)) p.push(`testFraction: must be in (0, 1), got ${JSON.stringify(c.testFraction)}`);
  if (c.tokenizer !== 'byte' && c.tokenizer !== 'bpe') p.push(`tokenizer: must be 'byte' or 'bpe', got ${JSON.stringify(c.tokenizer)}`);
  if (!Number.isInteger(c.vocabSize) || c.vocabSize < 260 || c.vocabSize > 65536)
    p.push(`vocabSize: must be an integer in [260, 65536], got ${JSON.stringify(c.vocabSize)}`);
  if (!Number.isInteger(c.contextLength) || c.contextLength < 8 || c.contextLength > 4096)
    p.push(`contextLength: must be an integer in [8, 4096], got ${JSON.stringify(c.contextLength)}`);
  if (!Number.isInteger(c.maxLength) || c.maxLength < 1 || c.maxLength >= c.contextLength)
    p.push(`maxLength: must be an integer in [1, contextLength), got ${JSON.stringify(c.maxLength)}`);
  return p;
}

export interface TextWorld extends World {
  readonly kind: 'language';
  readonly text: true;
  readonly config: TextConfig;
  readonly tokenizer: ByteBpeTokenizer;
  readonly contextLength: number;
  /** The records as read (extra columns included), train and test. */
  readonly records: readonly PreferenceRecord[];
}

function parseLines<T>(
  text: string,
  file: string,
  parse: (raw: string, where: string, line: number) => T | null,
): { value: T; where: string }[] {
  const out: { value: T; where: string }[] = [];
  text.split('\n').forEach((raw, i) => {
    const where = `${file}:${i + 1}`;
    try {
      const v = parse(raw, where, i + 1);
      if (v !== null) out.push({ value: v, where });
    } catch (e) {
      throw e instanceof RecordError ? new DataError(e.message) : e;
    }
  });
  if (out.length === 0) throw new DataError(`${file}: no records`);
  return out;
}

/** {prompt, response} lines (strings); a BOM and CRs are tolerated as in preference files. */
function parseDemonstration(raw: string, where: string, line: number): { prompt: string; response: string } | null {
  let s = line === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  if (s.endsWith('\r')) s = s.slice(0, -1);
  if (s.trim() === '') return null;
  let v: unknown;
  try {
    v = JSON.parse(s);
  } catch (e) {
    throw new DataError(`${where}: not valid JSON (${(e as Error).message})`);
  }
  const r = v as Record<string, unknown>;
  for (const key of ['prompt', 'response'])
    if (typeof r?.[key] !== 'string')
      throw new DataError(`${where}: field '${key}': must be a string, got ${JSON.stringify(r?.[key]) ?? 'nothing'}`);
  return { prompt: r.prompt as string, response: r.response as string };
}

export interface TextSources {
  /** The preference file's text and its name (for FILE:LINE errors). */
  preferences: { text: string; file: string };
  demonstrations: { text: string; file: string } | null;
  /** The judge that scores held-out responses; null: evaluation is refused with a message saying why. */
  judge: TextJudge | null;
  /** A starting model's own tokenizer (`model.init`), used instead of one trained on the file. */
  tokenizer?: ByteBpeTokenizer | null;
}

export function makeTextWorld(config: TextConfig, seed: number, sources: TextSources): TextWorld {
  const problems = validateTextConfig(config);
  if (problems.length > 0) throw new Error(`text world: ${problems.join('; ')}`);
  const rows = parseLines(sources.preferences.text, sources.preferences.file, parseJsonlLine);
  const demoRows = sources.demonstrations ? parseLines(sources.demonstrations.text, sources.demonstrations.file, parseDemonstration) : null;
  const texts = [
    ...rows.flatMap(({ value: r }) => [r.prompt, r.chosen, r.rejected]),
    ...(demoRows ?? []).flatMap(({ value: d }) => [d.prompt, d.response]),
  ];
  // Deterministic: the same file gives the same merges (bpe-train.ts), so a run rebuilds its tokenizer exactly.
  const tokenizer =
    sources.tokenizer ?? (config.tokenizer === 'bpe' ? trainByteBpe(texts, { vocabSize: config.vocabSize }) : new ByteBpeTokenizer());
  const fits = (where: string, prompt: Tokens, response: Tokens): void => {
    if (prompt.length + response.length > config.contextLength) {
      throw new DataError(
        `${where}: prompt and response take ${prompt.length + response.length} tokens, more than world.contextLength ${config.contextLength}`,
      );
    }
  };
  const encodeResponse = (text: string): Tokens => [...tokenizer.encode(text), EOS_ID];

  // Split distinct prompts, in file order, by a seeded shuffle.
  const prompts = [...new Set(rows.map(({ value }) => value.prompt))];
  if (prompts.length < 2)
    throw new DataError(
      `${sources.preferences.file}: needs at least 2 distinct prompts (one to train on, one to hold out), got ${prompts.length}`,
    );
  const gen = new Generator(seed);
  const order = prompts.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = gen.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const testCount = Math.min(prompts.length - 1, Math.max(1, Math.round(config.testFraction * prompts.length)));
  const testSet = new Set(order.slice(0, testCount).map((i) => prompts[i]!));
  const promptTokens = new Map(prompts.map((p) => [p, tokenizer.encodePrompt(p)]));

  const preferences: Preference[] = [];
  const testPreferences: Preference[] = [];
  const known = new Map<string, Tokens[]>();
  for (const { value: r, where } of rows) {
    const prompt = promptTokens.get(r.prompt)!;
    const triple = { prompt, chosen: encodeResponse(r.chosen), rejected: encodeResponse(r.rejected) };
    fits(where, prompt, triple.chosen);
    fits(where, prompt, triple.rejected);
    (testSet.has(r.prompt) ? testPreferences : preferences).push(triple);
    const key = prompt.join();
    known.set(key, [...(known.get(key) ?? []), triple.chosen, triple.rejected]);
  }
  // D in a seeded random order, so Algorithm 1's portions mix prompts.
  for (let i = preferences.length - 1; i > 0; i--) {
    const j = gen.int(i + 1);
    [preferences[i], preferences[j]] = [preferences[j]!, preferences[i]!];
  }
  let demonstrations: Demonstration[];
  if (demoRows) {
    demonstrations = demoRows.map(({ value: d, where }) => {
      const demo = { prompt: tokenizer.encodePrompt(d.prompt), response: encodeResponse(d.response) };
      fits(where, demo.prompt, demo.response);
      return demo;
    });
  } else demonstrations = preferences.map((p) => ({ prompt: p.prompt, response: p.chosen }));

  const decodePrompt = (prompt: Tokens): string => tokenizer.decode(prompt);
  const decodeResponse = (response: Tokens): string => tokenizer.responseText(response);
  const judge = sources.judge;
  const trueReward = (prompt: Tokens, response: Tokens): number => {
    if (!judge?.score) {
      throw new Error(
        `the text world has no hidden reward: evaluation needs a judge with a score function (ranker {"kind": "module", "path": ...} exporting score, or {"kind": "learned"})`,
      );
    }
    // A response the model never ended is scored as written; the judge decides what that is worth.
    if (judge.scoreTokens) return judge.scoreTokens(prompt, response);
    return judge.score(decodePrompt(prompt), decodeResponse(response));
  };
  return {
    kind: 'language',
    text: true,
    config,
    tokenizer,
    contextLength: config.contextLength,
    records: rows.map(({ value }) => value),
    trainPrompts: prompts.filter((p) => !testSet.has(p)).map((p) => promptTokens.get(p)!),
    testPrompts: prompts.filter((p) => testSet.has(p)).map((p) => promptTokens.get(p)!),
    preferences,
    testPreferences,
    demonstrations,
    trueReward,
    // No true optimum is known: the best known response's score (the histograms' upper edge).
    bestReward: (prompt) => Math.max(...(known.get(prompt.join()) ?? []).map((y) => trueReward(prompt, y))),
    formatPrompt: decodePrompt,
    formatResponse: decodeResponse,
    parsePrompt: (text) => tokenizer.encodePrompt(text),
    parseResponse: encodeResponse,
  };
}
