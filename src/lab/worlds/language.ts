/**
 * The language world: a tiny language for a tiny GPT, built so that Figure 1's situation holds.
 *
 * A prompt names two letters, "c e": `BOS c e SEP`. A response is up to `maxLength` letters, then EOS.
 * The hidden true reward r* has two hills (edit distance d, Levenshtein):
 *  - near the demonstrations: the demonstrator mostly answers "c c"; r_near = 1 − 0.5·d(y, "c c");
 *  - away from them: the ascending run "c d e f" (letters after c, wrapping round the alphabet) is the best
 *    response; r_far = 2 − 0.6·d(y, run). Between the two lies a valley ("c d" scores 0.8 < 1).
 *  r*(x, y) = max(r_near, r_far, 0). The second letter of the prompt is a distractor.
 *
 * The demonstrator (the SFT data) writes the first letter, then repeats the previous letter, steps up one
 * letter, or writes a random one, and stops after a length drawn from `demoLengths`: so SFT makes the run
 * rare but reachable (its probability is small, not zero), and its expected r* is well below the best.
 * D is labelled by Bradley–Terry sampling from r* on pairs of demonstrator responses (our UltraFeedback).
 */
import { Generator } from '../../autograd/index.js';
import { EOS_ID, Tokenizer } from '../../nn/tokenizer.js';
import type { Demonstration, Preference, Tokens } from '../../selm/types.js';
import { bradleyTerryProbability, type World } from './types.js';

export interface LanguageConfig {
  kind: 'language';
  /** Letters in the alphabet (4..26). */
  letters: number;
  /** Longest response in letters (the EOS comes after). */
  maxLength: number;
  /** Fraction of the letters² prompts held out for testing. */
  testFraction: number;
  /** Demonstrations per train prompt (the SFT set). */
  demosPerPrompt: number;
  /** Preference triples per train prompt (D). */
  pairsPerPrompt: number;
  /** Probability of each response length 1..maxLength in the demonstrator. */
  demoLengths: number[];
  /** After the first letter: repeat the previous letter / step up one letter (the rest: a random letter). */
  demoRepeat: number;
  demoAscend: number;
  /** Bradley–Terry temperature of D's labels. */
  labelTemperature: number;
}

export const DEFAULT_LANGUAGE: LanguageConfig = {
  kind: 'language',
  letters: 6,
  maxLength: 4,
  testFraction: 1 / 3,
  demosPerPrompt: 8,
  pairsPerPrompt: 16,
  demoLengths: [0.05, 0.75, 0.12, 0.08],
  demoRepeat: 0.75,
  demoAscend: 0.17,
  labelTemperature: 0.5,
};

export interface LanguageWorld extends World {
  readonly kind: 'language';
  readonly config: LanguageConfig;
  readonly tokenizer: Tokenizer;
  /** The best response ("c d e f" for "c e") as tokens, EOS included. */
  bestResponse(prompt: Tokens): Tokens;
  /** The demonstrators' favourite ("c c"), EOS included. */
  demoResponse(prompt: Tokens): Tokens;
  /** Tokens of a prompt: BOS, two letters, SEP (fits GPT context = 4 + maxLength + 1). */
  readonly contextLength: number;
}

export function validateLanguageConfig(c: LanguageConfig): string[] {
  const p: string[] = [];
  const int = (name: keyof LanguageConfig, min: number, max = Infinity): void => {
    const v = c[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      p.push(`${name}: must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  };
  int('letters', 4, 26);
  int('maxLength', 4, 12);
  int('demosPerPrompt', 1);
  int('pairsPerPrompt', 1);
  if (!(c.testFraction > 0 && c.testFraction < 1)) p.push(`testFraction: must be in (0, 1), got ${c.testFraction}`);
  if (
    !Array.isArray(c.demoLengths) ||
    c.demoLengths.length !== c.maxLength ||
    c.demoLengths.some((x) => !(x >= 0)) ||
    !(c.demoLengths.reduce((a, b) => a + b, 0) > 0)
  ) {
    p.push(
      `demoLengths: must list maxLength (${c.maxLength}) non-negative weights with a positive sum, got ${JSON.stringify(c.demoLengths)}`,
    );
  }
  if (!(c.demoRepeat >= 0 && c.demoAscend >= 0 && c.demoRepeat + c.demoAscend <= 1)) {
    p.push(`demoRepeat, demoAscend: must be >= 0 with a sum <= 1, got ${c.demoRepeat} and ${c.demoAscend}`);
  }
  if (!(c.labelTemperature > 0)) p.push(`labelTemperature: must be > 0, got ${c.labelTemperature}`);
  return p;
}

/** Levenshtein distance between two token lists. */
export function editDistance(a: Tokens, b: Tokens): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = cur;
  }
  return prev[b.length]!;
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

export function makeLanguageWorld(config: LanguageConfig, seed: number): LanguageWorld {
  const problems = validateLanguageConfig(config);
  if (problems.length > 0) throw new Error(`language world: ${problems.join('; ')}`);
  const gen = new Generator(seed);
  const A = config.letters;
  const letters = LETTERS.slice(0, A).split('');
  const tokenizer = new Tokenizer('word', letters);
  const letterId = (i: number): number => 4 + (((i % A) + A) % A); // ids 4.. are the letters, in order
  const letterOf = (id: number): number => id - 4;

  const allPrompts: Tokens[] = [];
  for (let a = 0; a < A; a++) for (let b = 0; b < A; b++) allPrompts.push([tokenizer.bosId, letterId(a), letterId(b), tokenizer.sepId]);
  const order = allPrompts.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = gen.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const testCount = Math.max(1, Math.round(config.testFraction * allPrompts.length));
  const testPrompts = order.slice(0, testCount).map((i) => allPrompts[i]!);
  const trainPrompts = order.slice(testCount).map((i) => allPrompts[i]!);

  const checkPrompt = (prompt: Tokens): number => {
    const k = prompt[1];
    if (prompt.length !== 4 || k === undefined || letterOf(k) < 0 || letterOf(k) >= A)
      throw new Error(`language world: [${prompt}] is not a prompt`);
    return letterOf(k);
  };
  const content = (response: Tokens): Tokens => (response[response.length - 1] === EOS_ID ? response.slice(0, -1) : response);
  const near = (k: number): number[] => [letterId(k), letterId(k)];
  const far = (k: number): number[] => Array.from({ length: 4 }, (_, i) => letterId(k + i));
  const trueReward = (prompt: Tokens, response: Tokens): number => {
    const k = checkPrompt(prompt);
    const y = content(response);
    // A response that never ended (no EOS within the cap) or holds a non-letter is worth nothing.
    if (response[response.length - 1] !== EOS_ID || y.some((t) => letterOf(t) < 0 || letterOf(t) >= A)) return 0;
    return Math.max(0, 1 - 0.5 * editDistance(y, near(k)), 2 - 0.6 * editDistance(y, far(k)));
  };

  const lengthWeights = config.demoLengths;
  const demonstrate = (prompt: Tokens): number[] => {
    const k = checkPrompt(prompt);
    const length = 1 + gen.categorical(lengthWeights);
    const out = [k];
    while (out.length < length) {
      const u = gen.random();
      const prev = out[out.length - 1]!;
      out.push(u < config.demoRepeat ? prev : u < config.demoRepeat + config.demoAscend ? prev + 1 : gen.int(A));
    }
    return [...out.map(letterId), EOS_ID];
  };
  const demonstrations: Demonstration[] = [];
  for (const prompt of trainPrompts)
    for (let i = 0; i < config.demosPerPrompt; i++) demonstrations.push({ prompt, response: demonstrate(prompt) });

  const labelPairs = (prompts: readonly Tokens[], perPrompt: number): Preference[] => {
    const out: Preference[] = [];
    for (const prompt of prompts) {
      for (let i = 0; i < perPrompt; i++) {
        const a = demonstrate(prompt);
        let b = demonstrate(prompt);
        for (let tries = 0; tries < 20 && a.join() === b.join(); tries++) b = demonstrate(prompt);
        const aWins = gen.random() < bradleyTerryProbability(trueReward(prompt, a), trueReward(prompt, b), config.labelTemperature);
        out.push({ prompt, chosen: aWins ? a : b, rejected: aWins ? b : a });
      }
    }
    // D in a seeded random order, so the T portions of Algorithm 1 mix prompts.
    for (let i = out.length - 1; i > 0; i--) {
      const j = gen.int(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  };
  const preferences = labelPairs(trainPrompts, config.pairsPerPrompt);
  const testPreferences = labelPairs(testPrompts, 1);

  return {
    kind: 'language',
    config,
    tokenizer,
    contextLength: 4 + config.maxLength + 1,
    trainPrompts,
    testPrompts,
    preferences,
    testPreferences,
    demonstrations,
    trueReward,
    bestReward: () => 2,
    bestResponse: (prompt) => [...far(checkPrompt(prompt)), EOS_ID],
    demoResponse: (prompt) => [...near(checkPrompt(prompt)), EOS_ID],
    formatPrompt: (prompt) => tokenizer.decode(prompt),
    formatResponse: (response) => tokenizer.decode(response),
    parsePrompt: (text) => {
      const ids = tokenizer.encode(text);
      if (ids.length !== 2) throw new Error(`a prompt is two letters, got ${JSON.stringify(text)}`);
      return [tokenizer.bosId, ...ids, tokenizer.sepId];
    },
    parseResponse: (text) => {
      const ids = tokenizer.encode(text);
      if (ids.length > config.maxLength) throw new Error(`a response has at most ${config.maxLength} letters, got ${ids.length}`);
      return [...ids, EOS_ID];
    },
  };
}
