/** One optimisation step of a language model, the unit that benchmarks and the SELM trainer build on. */
import { isGradEnabled, type Tensor } from '../autograd/index.js';
import { languageModelLoss, IGNORE_INDEX } from './loss.js';
import { clipGradNorm, type Optimizer } from './optim.js';
import type { ForwardOptions } from './gpt.js';
import type { MaskBatch, TokenBatch } from './tokens.js';

/** What trainStep needs of a model (GPT has it). */
export interface LanguageModel {
  forward(ids: TokenBatch, options?: ForwardOptions): Tensor;
  parameters(): Tensor[];
}

export interface TrainBatch {
  /** ids [B, T] the model reads. */
  inputs: TokenBatch;
  /** ids [B, T] it should predict (inputs shifted by one), `ignoreIndex` where nothing is to be learnt. */
  targets: TokenBatch;
  paddingMask?: MaskBatch;
}

export interface TrainStepOptions {
  /** Clip the global gradient norm to this (default 1.0, nanoGPT's; Infinity disables clipping). */
  maxGradNorm?: number;
  ignoreIndex?: number;
}

export interface TrainStepResult {
  loss: number;
  /** The global gradient norm before clipping. */
  gradNorm: number;
  /** True when the gradient norm was not finite and the update was skipped. */
  skipped: boolean;
}

/**
 * forward -> cross-entropy loss -> backward -> clip -> optimiser step -> zero grads. Gradients are cleared
 * before the forward pass too, so a step never sees a stale gradient. A non-finite gradient norm skips the
 * update (the parameters stay as they were) and says so in the result.
 */
export function trainStep(model: LanguageModel, optimizer: Optimizer, batch: TrainBatch, options: TrainStepOptions = {}): TrainStepResult {
  if (!isGradEnabled()) throw new Error('trainStep: called under noGrad; gradients cannot be computed');
  const params = model.parameters();
  for (const p of params) p.grad = null;
  const forwardOptions: ForwardOptions = batch.paddingMask ? { paddingMask: batch.paddingMask } : {};
  const logits = model.forward(batch.inputs, forwardOptions);
  const loss = languageModelLoss(logits, batch.targets, options.ignoreIndex ?? IGNORE_INDEX);
  loss.backward();
  const gradNorm = clipGradNorm(params, options.maxGradNorm ?? 1.0);
  const skipped = !Number.isFinite(gradNorm);
  if (!skipped) optimizer.step();
  for (const p of params) p.grad = null;
  return { loss: loss.item(), gradNorm, skipped };
}
