/**
 * The user's own judge, as a JavaScript module (`ranker: {"kind": "module", "path": "./judge.mjs"}`), playing
 * PairRM's role. The module exports either or both of
 *     export function score(prompt: string, response: string): number            // higher is better
 *     export function rank(prompt: string, responses: string[]): number[]         // indices, best first
 * and is loaded once per run (node/load-judge.ts; this file only wraps the loaded functions, so it stays
 * browser-safe). Texts are the world's (formatPrompt / formatResponse). Every failure names the module: a
 * missing export, a throw, a non-finite score, a rank that is not a permutation.
 */
import type { Ranker } from '../selm/rankers.js';
import { InvalidInputError } from './errors.js';
import type { Tokens } from '../selm/types.js';

export interface JudgeModule {
  score?: (prompt: string, response: string) => unknown;
  rank?: (prompt: string, responses: string[]) => unknown;
}

/** A judge on texts, as the text world and the module ranker use it. */
export interface TextJudge {
  readonly name: string;
  score: ((prompt: string, response: string) => number) | null;
  rank(prompt: string, responses: readonly string[]): number[];
  /**
   * A judge that reads the world's tokens (the learned reward model) scores them as they are: a sampled
   * response's text need not tokenise back into the same ids (bytes that are not valid UTF-8 alone, pieces the
   * BPE would merge), nor fit the model's context once re-encoded.
   */
  scoreTokens?: (prompt: Tokens, response: Tokens) => number;
}

/**
 * The user's judge is input the run was given, like its config: a missing file, a module that does not load, a
 * missing export, a throw or a bad return value is invalid input (the CLI exits 2), not the lab's own failure.
 */
export class JudgeError extends InvalidInputError {
  constructor(message: string) {
    super(message);
    this.name = 'JudgeError';
  }
}

const short = (s: string): string => JSON.stringify(s.length > 40 ? `${s.slice(0, 37)}...` : s);

/** Checks a loaded module's exports and wraps them; `path` names it in every error. */
export function textJudgeFromModule(module: JudgeModule, path: string): TextJudge {
  const scoreFn = typeof module.score === 'function' ? module.score : null;
  const rankFn = typeof module.rank === 'function' ? module.rank : null;
  if (!scoreFn && !rankFn) {
    const names = Object.keys(module).join(', ') || 'nothing';
    throw new JudgeError(`judge ${path}: exports neither score(prompt, response) nor rank(prompt, responses) (it exports ${names})`);
  }
  const call = <T>(what: string, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      throw new JudgeError(`judge ${path}: ${what} threw: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const score = scoreFn
    ? (prompt: string, response: string): number => {
        const v = call(`score(${short(prompt)}, ${short(response)})`, () => scoreFn(prompt, response));
        if (typeof v !== 'number' || !Number.isFinite(v))
          throw new JudgeError(`judge ${path}: score(${short(prompt)}, ${short(response)}) returned ${String(v)}, not a finite number`);
        return v;
      }
    : null;
  const rank = (prompt: string, responses: readonly string[]): number[] => {
    if (rankFn) {
      const order = call(`rank(${short(prompt)}, [${responses.length} responses])`, () => rankFn(prompt, [...responses]));
      const ok = Array.isArray(order) && order.length === responses.length && [...order].sort((a, b) => a - b).every((v, i) => v === i);
      if (!ok)
        throw new JudgeError(`judge ${path}: rank(...) returned ${JSON.stringify(order)}, not a permutation of 0..${responses.length - 1}`);
      return order as number[];
    }
    const scores = responses.map((r) => score!(prompt, r));
    // Stable sort: equal scores keep the input order (the tie rule of src/selm/rankers.ts).
    return responses.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  };
  return { name: `module:${path}`, score, rank };
}

/** A Ranker over a world's tokens through a text judge. */
export class ModuleRanker implements Ranker {
  readonly name: string;
  constructor(
    private readonly judge: TextJudge,
    private readonly promptText: (prompt: Tokens) => string,
    private readonly responseText: (response: Tokens) => string,
  ) {
    this.name = judge.name;
  }

  rank(prompt: Tokens, candidates: readonly Tokens[]): number[] {
    return this.judge.rank(this.promptText(prompt), candidates.map(this.responseText));
  }

  score(prompt: Tokens, response: Tokens): number {
    if (!this.judge.score) throw new JudgeError(`${this.judge.name}: has no score function`);
    return this.judge.score(this.promptText(prompt), this.responseText(response));
  }
}
