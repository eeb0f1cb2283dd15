/**
 * The data Algorithm 1 works on. Prompts and responses are token-id sequences in every world (the bandit's are
 * one-token sequences), so one Policy interface, one ranker interface and one JSONL format serve all worlds.
 */

/** A prompt or a response: token ids in the world's vocabulary. */
export type Tokens = readonly number[];

/** A preference triple (x, y_w, y_l): `chosen` is preferred to `rejected`. */
export interface Preference {
  prompt: Tokens;
  chosen: Tokens;
  rejected: Tokens;
}

export interface Demonstration {
  prompt: Tokens;
  response: Tokens;
}

export function sameTokens(a: Tokens, b: Tokens): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}
