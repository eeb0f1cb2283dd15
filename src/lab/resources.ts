/**
 * What an experiment will ask of the machine, estimated from its config alone (before anything is built), and
 * checked against stated limits: a 4096-wide 48-layer GPT, a bandit with 10⁷ tasks or 10⁹ evaluation samples
 * per prompt would otherwise allocate for minutes and then die of "heap out of memory" with a half-written run
 * folder. Each limit is a config field (`limits.*`), so an experiment that does need more says so explicitly.
 *
 * The estimates are coarse upper-bound-ish counts, not measurements: parameters from the GPT's shapes (tied
 * embeddings, as nn/gpt.ts), activation memory as the float64 values one training batch keeps for backward,
 * and samples as the responses one evaluation or one world holds at once.
 */
import { SPECIAL_TOKENS } from '../nn/tokenizer.js';
import type { ExperimentConfig } from './config.js';

export interface ResourceLimits {
  /** Trainable values (the GPT's parameters, or the bandit table's logits). */
  parameters: number;
  /** Bytes of activations one training batch keeps for the backward pass. */
  activationBytes: number;
  /** Responses held at once: evaluation draws (held-out prompts × eval.samples) or the world's triples. */
  samples: number;
}

export const DEFAULT_LIMITS: ResourceLimits = { parameters: 5e7, activationBytes: 4 * 2 ** 30, samples: 1e7 };

export interface ResourceEstimate {
  parameters: number;
  activationBytes: number;
  samples: number;
}

/** Bytes per value: the lab trains in float64. */
const BYTES = 8;

export function estimateResources(c: ExperimentConfig): ResourceEstimate {
  if (c.world.kind === 'bandit') {
    const w = c.world;
    const rows = w.tasks * (w.trainPromptsPerTask + w.testPromptsPerTask);
    return {
      parameters: w.tasks * w.responses,
      // A batch's log-softmax over its rows' K logits, for chosen, rejected and the reference.
      activationBytes: 4 * c.algorithm.batchSize * w.responses * BYTES,
      samples: Math.max(rows * w.responses, w.tasks * w.trainPromptsPerTask),
    };
  }
  const w = c.world;
  const { width, layers, heads, mlpRatio } = c.model;
  // The text world's sizes come from its tokenizer and context; its sample counts from the user's file. The
  // language world's word tokenizer has the special tokens and one id per letter (exact: the parameter count
  // below is the GPT's, test/lab/resources.test.ts).
  const vocab = w.kind === 'text' ? w.vocabSize + 8 : w.letters + SPECIAL_TOKENS.length;
  const context = w.kind === 'text' ? w.contextLength : 4 + w.maxLength + 1;
  const hidden = Math.round(mlpRatio * width);
  const perLayer = 4 * width * width + 4 * width + 2 * width * hidden + hidden + width + 4 * width;
  const parameters = vocab * width + context * width + layers * perLayer + 2 * width;
  const batch = Math.max(c.sft.batchSize, 4 * c.algorithm.batchSize);
  // Per token and layer: the residual stream, q, k, v, attention output, two layer norms, the MLP's hidden
  // activations before and after GELU; per head the T×T scores and probabilities; then the logits.
  const perToken = layers * (12 * width + 3 * hidden + 2 * heads * context) + 2 * vocab;
  const activationBytes = batch * context * perToken * BYTES;
  if (w.kind === 'text') return { parameters, activationBytes, samples: 0 };
  const prompts = w.letters * w.letters;
  return {
    parameters,
    activationBytes,
    samples: Math.max(Math.ceil(prompts * w.testFraction) * c.eval.samples, prompts * (w.pairsPerPrompt + w.demosPerPrompt)),
  };
}

const fmt = (n: number): string => (n >= 1e5 ? n.toExponential(1) : String(Math.round(n)));
const gib = (bytes: number): string => `${(bytes / 2 ** 30).toPrecision(2)} GiB`;

/** Every estimate over its limit, as 'limits.x: ...' naming the knobs; empty when the config fits. */
export function resourceProblems(c: ExperimentConfig, limits: ResourceLimits): string[] {
  const e = estimateResources(c);
  const p: string[] = [];
  // Written as !(x <= limit) so that an estimate that is not a number (a bug) fails the check instead of passing it.
  const language = c.world.kind === 'language';
  if (!(e.parameters <= limits.parameters)) {
    const knobs = language ? 'model.width, model.layers or model.mlpRatio' : 'world.tasks or world.responses';
    // Weights, gradients and Adam's two moments.
    p.push(
      `limits.parameters: about ${fmt(e.parameters)} parameters (${gib(4 * e.parameters * BYTES)} with gradients and optimiser state), over the limit ${fmt(limits.parameters)}; make ${knobs} smaller, or raise limits.parameters if this machine can hold it`,
    );
  }
  if (!(e.activationBytes <= limits.activationBytes)) {
    const knobs = language ? 'algorithm.batchSize, sft.batchSize, model.width or model.layers' : 'algorithm.batchSize or world.responses';
    p.push(
      `limits.activationBytes: about ${gib(e.activationBytes)} of activations per training batch, over the limit ${gib(limits.activationBytes)}; make ${knobs} smaller, or raise limits.activationBytes`,
    );
  }
  if (!(e.samples <= limits.samples)) {
    const knobs = language
      ? 'eval.samples, world.pairsPerPrompt or world.demosPerPrompt'
      : 'world.tasks, world.responses or the prompts per task';
    p.push(
      `limits.samples: about ${fmt(e.samples)} responses held at once, over the limit ${fmt(limits.samples)}; make ${knobs} smaller, or raise limits.samples`,
    );
  }
  return p;
}

/** The limits' own validation: positive finite numbers. */
export function limitsProblems(limits: ResourceLimits): string[] {
  return (Object.keys(DEFAULT_LIMITS) as (keyof ResourceLimits)[])
    .filter((k) => !(typeof limits[k] === 'number' && limits[k] > 0 && Number.isFinite(limits[k])))
    .map((k) => `limits.${k}: must be a number > 0, got ${String(limits[k])}`);
}
