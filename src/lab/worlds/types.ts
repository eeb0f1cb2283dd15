/**
 * What a world is: prompts (split into train and held-out test), a hidden true reward r*(x, y) that only the
 * rankers and the evaluation may read, demonstrations for SFT, and an offline preference set D of
 * (x, y_w, y_l) labelled by Bradley–Terry sampling from r* (our UltraFeedback, section 5.1).
 */
import type { Demonstration, Preference, Tokens } from '../../selm/types.js';

export interface World {
  /** 'bandit' or 'language': which policy family the world is built for. */
  readonly kind: 'bandit' | 'language';
  readonly trainPrompts: readonly Tokens[];
  readonly testPrompts: readonly Tokens[];
  /** The offline preference set D, over train prompts, in a seeded random order. */
  readonly preferences: readonly Preference[];
  /** Held-out (x, y_w, y_l) on test prompts, labelled like D: the implicit-reward study of Figure 4 uses them. */
  readonly testPreferences: readonly Preference[];
  /** The demonstrator's responses: the SFT data. */
  readonly demonstrations: readonly Demonstration[];
  /** The hidden true reward r*(x, y). */
  trueReward(prompt: Tokens, response: Tokens): number;
  /** max_y r*(x, y), for reports ("how far from the best"). */
  bestReward(prompt: Tokens): number;
  /** Every response, when Y is small enough to enumerate (the bandit): expectations are then exact. */
  enumerateResponses?(prompt: Tokens): Tokens[];
  /** Text forms for data export/import (JSONL with prompt, chosen, rejected, as TRL and the HF hub use). */
  formatPrompt(prompt: Tokens): string;
  formatResponse(response: Tokens): string;
  /** Inverse of the format functions; throws an Error saying why a text is not valid in this world. */
  parsePrompt(text: string): Tokens;
  parseResponse(text: string): Tokens;
}

/** Bradley–Terry: P(a ≻ b) = σ((r(a) − r(b)) / temperature) (section 2.1). */
export function bradleyTerryProbability(rewardA: number, rewardB: number, temperature = 1): number {
  return 1 / (1 + Math.exp(-(rewardA - rewardB) / temperature));
}
