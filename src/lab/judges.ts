/**
 * Judges for the lab's worlds, over their true reward r* (the paper's PairRM plays this role on real data):
 *  - TrueRewardRanker: orders by r* (a perfect PairRM);
 *  - BradleyTerryRanker: noisy, human-like feedback: a Plackett–Luce draw with weights exp(r* / temperature),
 *    which for two candidates is exactly the Bradley–Terry model P(a ≻ b) = σ((r*(a) − r*(b))/temperature).
 * Both keep the interface's tie rule (src/selm/rankers.ts).
 */
import type { Generator } from '../autograd/index.js';
import type { Ranker, RewardFunction } from '../selm/rankers.js';
import type { Tokens } from '../selm/types.js';
import type { LearnedRankerConfig } from './learned-judge.js';

export class TrueRewardRanker implements Ranker {
  readonly name = 'true-reward';
  constructor(private readonly reward: RewardFunction) {}

  /** The judge's score of one response (written beside each iteration's D_t). */
  score(prompt: Tokens, response: Tokens): number {
    return this.reward(prompt, response);
  }

  rank(prompt: Tokens, candidates: readonly Tokens[]): number[] {
    const scores = candidates.map((c) => this.reward(prompt, c));
    // Array.prototype.sort is stable (ES2019): equal scores keep their input order, the tie rule above.
    return candidates.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  }
}

export class BradleyTerryRanker implements Ranker {
  readonly name = 'bradley-terry';
  constructor(
    private readonly reward: RewardFunction,
    /** The ranker's own random stream; its state is part of a run's resumable state. */
    readonly generator: Generator,
    readonly temperature = 1,
  ) {
    if (!(temperature > 0) || !Number.isFinite(temperature))
      throw new Error(`BradleyTerryRanker: temperature must be > 0, got ${temperature}`);
  }

  /** The reward its draws are made from (the noise is in the ranking, not the score). */
  score(prompt: Tokens, response: Tokens): number {
    return this.reward(prompt, response);
  }

  rank(prompt: Tokens, candidates: readonly Tokens[]): number[] {
    const scores = candidates.map((c) => this.reward(prompt, c) / this.temperature);
    const remaining = candidates.map((_, i) => i);
    const order: number[] = [];
    while (remaining.length > 1) {
      // Subtract the max before exponentiating so large rewards cannot overflow.
      const max = Math.max(...remaining.map((i) => scores[i]!));
      const pick = this.generator.categorical(remaining.map((i) => Math.exp(scores[i]! - max)));
      order.push(remaining.splice(pick, 1)[0]!);
    }
    order.push(remaining[0]!);
    return order;
  }
}

/** `module`: the user's judge, a JavaScript module exporting score and/or rank (module-judge.ts). */
export type RankerConfig =
  | { kind: 'true-reward' }
  | { kind: 'bradley-terry'; temperature: number }
  | { kind: 'module'; path: string }
  | LearnedRankerConfig;

/** The ranker of a config; a module ranker is built by the caller, who loaded the module, and passed as `external`. */
export function makeRanker(config: RankerConfig, reward: RewardFunction, generator: Generator, external: Ranker | null = null): Ranker {
  if (config.kind === 'module' || config.kind === 'learned') {
    if (!external)
      throw new Error(
        config.kind === 'module'
          ? `ranker: the module ${config.path} was not loaded (this runner has no loadJudge)`
          : 'ranker: the learned judge was not trained',
      );
    return external;
  }
  return config.kind === 'true-reward' ? new TrueRewardRanker(reward) : new BradleyTerryRanker(reward, generator, config.temperature);
}
