/**
 * A learned reward model: a Bradley–Terry head on the GPT trunk, the role PairRM plays in the paper (section 5:
 * an AI ranker trained on human preferences). r(x, y) is a linear function of the trunk's final features at the
 * last token of `prompt ++ response`, trained to maximise the Bradley–Terry likelihood of the preference set
 * (section 2.1): minimise  −log σ(r(x, y_w) − r(x, y_l)),  the loss of reward modelling in RLHF (Ouyang et al.
 * 2022, eq. 1). Its held-out pairwise accuracy says how far to trust it as a judge.
 */
import { type Generator, Tensor, logsigmoid, mean, mul, narrow, neg, noGrad, reshape, sub, sum } from '../autograd/index.js';
import { GPT, type GPTConfig } from '../nn/gpt.js';
import { Linear } from '../nn/layers/linear.js';
import { Module } from '../nn/module.js';
import { AdamW, clipGradNorm } from '../nn/optim.js';
import { warmupDecay } from '../nn/schedule.js';
import { permutation } from './algorithm.js';
import type { Ranker } from './rankers.js';
import type { Preference, Tokens } from './types.js';

export class RewardModel extends Module {
  readonly trunk: GPT;
  readonly head: Linear;

  constructor(
    config: GPTConfig,
    generator: Generator,
    readonly padId = 0,
  ) {
    super();
    this.trunk = this.addModule('trunk', new GPT(config, generator));
    this.head = this.addModule('head', new Linear(this.trunk.config.width, 1, { generator, dtype: this.trunk.config.dtype }));
  }

  /** r(x, y) for each pair, shape [B]: the head on the trunk's features at each row's last real token. */
  rewards(prompts: readonly Tokens[], responses: readonly Tokens[]): Tensor {
    const rows = prompts.map((p, i) => [...p, ...responses[i]!]);
    const T = Math.max(...rows.map((r) => r.length));
    const B = rows.length;
    // Right padding: under causal attention no padded position can change an earlier one.
    const ids = rows.map((r) => [...r, ...new Array<number>(T - r.length).fill(this.padId)]);
    const pick = new Float64Array(B * T);
    rows.forEach((r, b) => (pick[b * T + r.length - 1] = 1));
    const dtype = this.trunk.config.dtype;
    const select = new Tensor(dtype === 'float64' ? pick : Float32Array.from(pick), [B, T, 1]);
    const last = sum(mul(this.trunk.features(ids), select), 1); // [B, width]
    return reshape(this.head.forward(last), [B]);
  }

  score(prompt: Tokens, response: Tokens): number {
    return noGrad(() => this.rewards([prompt], [response]).item());
  }
}

export interface RewardTrainOptions {
  steps: number;
  batchSize: number;
  lr: number;
  warmupRatio?: number;
}

/** Trains on the pairs with the Bradley–Terry loss (AdamW, cosine schedule, clip 1); returns the losses. */
export function trainRewardModel(
  model: RewardModel,
  pairs: readonly Preference[],
  options: RewardTrainOptions,
  generator: Generator,
  onStep?: (step: number, loss: number) => void,
): number[] {
  if (pairs.length === 0) throw new Error('trainRewardModel: no preference pairs');
  const params = model.parameters();
  const optimizer = new AdamW(params, { lr: options.lr, weightDecay: 0 });
  const schedule = warmupDecay({
    peakLr: options.lr,
    totalSteps: options.steps,
    warmupRatio: options.warmupRatio ?? 0.05,
    decay: 'cosine',
  });
  const losses: number[] = [];
  let order: number[] = [];
  for (let step = 0; step < options.steps; step++) {
    if (order.length < options.batchSize) order = [...order, ...permutation(pairs.length, generator)];
    const batch = order.splice(0, options.batchSize).map((i) => pairs[i]!);
    const B = batch.length;
    const r = model.rewards(
      [...batch.map((p) => p.prompt), ...batch.map((p) => p.prompt)],
      [...batch.map((p) => p.chosen), ...batch.map((p) => p.rejected)],
    );
    const loss = mean(neg(logsigmoid(sub(narrow(r, 0, 0, B), narrow(r, 0, B, B)))));
    const value = loss.item();
    if (!Number.isFinite(value)) throw new Error(`trainRewardModel: non-finite loss (${value}) at step ${step}`);
    optimizer.zeroGrad();
    loss.backward();
    clipGradNorm(params, 1);
    optimizer.lr = schedule(step);
    optimizer.step();
    losses.push(value);
    onStep?.(step, value);
  }
  optimizer.zeroGrad();
  return losses;
}

/** Fraction of pairs with r(x, y_w) > r(x, y_l) (strictly: a tie counts as wrong). */
export function pairwiseAccuracy(model: RewardModel, pairs: readonly Preference[]): number {
  if (pairs.length === 0) return Number.NaN;
  let right = 0;
  noGrad(() => {
    for (let i = 0; i < pairs.length; i += 64) {
      const chunk = pairs.slice(i, i + 64);
      const w = model.rewards(
        chunk.map((p) => p.prompt),
        chunk.map((p) => p.chosen),
      ).data;
      const l = model.rewards(
        chunk.map((p) => p.prompt),
        chunk.map((p) => p.rejected),
      ).data;
      for (let k = 0; k < chunk.length; k++) if (w[k]! > l[k]!) right++;
    }
  });
  return right / pairs.length;
}

/** The learned reward model as Algorithm 1's ranker (ties keep the input order, src/selm/rankers.ts). */
export class RewardModelRanker implements Ranker {
  readonly name = 'learned-reward-model';
  constructor(readonly model: RewardModel) {}

  score(prompt: Tokens, response: Tokens): number {
    return this.model.score(prompt, response);
  }

  rank(prompt: Tokens, candidates: readonly Tokens[]): number[] {
    const scores = noGrad(() =>
      Array.from(
        this.model.rewards(
          candidates.map(() => prompt),
          candidates,
        ).data,
      ),
    );
    return candidates.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  }
}
