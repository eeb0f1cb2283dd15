/**
 * A run's config in the terms of the tools that run at scale (browser-safe, pure). See docs/scale-out.md.
 *
 *  - TRL's DPOConfig (trl/trainer/dpo_config.py): beta, loss_type, learning_rate, lr_scheduler_type,
 *    warmup_ratio, num_train_epochs, per_device_train_batch_size, max_grad_norm, weight_decay, max_length;
 *  - the authors' SELM trainer (github.com/shenao-zhang/SELM, scripts/selm_trainer.py): `alpha` is this
 *    project's α (losses.ts states the convention: its loss is −log σ(β h) + α β r̂-ratio of y_ref);
 *  - TRL's XPOTrainer: its loss adds α_XPO · log πθ(y_ref) to DPO's, so α_XPO = α · β.
 */
import { peakLearningRate, totalIterations } from '../selm/algorithm.js';
import type { ExperimentConfig } from './config.js';

export interface TrlMapping {
  dpo_config: Record<string, unknown>;
  /** One peak learning rate per trained iteration (appendix C's restarts). */
  learning_rates: number[];
  selm: { alpha: number; beta: number };
  xpo: { alpha: number; beta: number };
  differences: string[];
}

export function trlConfigOf(c: ExperimentConfig, contextLength: number): TrlMapping {
  const a = c.algorithm;
  const lrs = Array.from({ length: totalIterations(a) }, (_, i) => peakLearningRate(a, i));
  const scheduler = a.decay === 'constant' ? (a.warmupRatio > 0 ? 'constant_with_warmup' : 'constant') : a.decay;
  return {
    dpo_config: {
      beta: a.beta,
      loss_type: a.lossType,
      learning_rate: lrs[0],
      lr_scheduler_type: scheduler,
      warmup_ratio: a.warmupRatio,
      num_train_epochs: a.epochs,
      per_device_train_batch_size: a.batchSize,
      gradient_accumulation_steps: 1,
      max_grad_norm: a.gradClip > 0 ? a.gradClip : 1e9,
      weight_decay: a.weightDecay,
      optim: a.optimizer === 'sgd' ? 'sgd' : 'adamw_torch',
      max_length: contextLength,
      label_smoothing: 0,
      logging_steps: 1,
    },
    learning_rates: lrs,
    selm: { alpha: a.alpha, beta: a.beta },
    xpo: { alpha: Number((a.alpha * a.beta).toPrecision(12)), beta: a.beta },
    differences: [
      `y_ref: this run ${a.yRef === 'greedy' ? "decoded y_ref greedily (as the authors' code does)" : "sampled y_ref from π_ref (the paper's text; the authors' code decodes greedily)"}`,
      `judge: this run ranked with '${c.ranker.kind}'${c.ranker.kind === 'module' ? ` (${c.ranker.path})` : ''}; the paper uses PairRM`,
      `update rule: ${a.updateRule}; the optimism term's form: ${a.optimismForm} (the authors' form has the same gradient as the paper's)`,
      'XPOTrainer is fully online (fresh completions from the policy every step); Algorithm 1 generates y_ref once per iteration from π_ref',
      a.lossType === 'ipo'
        ? `IPO: this run fed it ${a.ipoLogProbs === 'average' ? 'per-token averaged log-probs, as TRL does' : "summed log-probs (ipoLogProbs 'sum'); TRL averages them"}`
        : 'DPO log-probs are summed over response tokens, as in TRL for the sigmoid loss',
      `logging: metrics.jsonl averages over ${a.loggingSteps} step(s), TRL's logging_steps`,
    ],
  };
}
