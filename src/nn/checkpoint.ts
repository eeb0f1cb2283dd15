/**
 * Checkpoints as safetensors bytes (pure; node file I/O is in checkpoint-file.ts). A model checkpoint holds the
 * parameters under their dotted names, so PyTorch and the Hugging Face tools can read it. A training
 * checkpoint adds the optimiser's buffers under `optimizer.` and its scalars in the metadata.
 *
 * Loading never half-loads: the bytes are decoded and validated (safetensors.ts), then checked against the
 * model (and optimiser) by name, shape and dtype, and only then assigned.
 */
import type { Tensor } from '../autograd/index.js';
import type { Module } from './module.js';
import type { Optimizer, OptimizerState } from './optim.js';
import { decodeSafetensors, encodeSafetensors, SafetensorsError } from './safetensors.js';

/** A checkpoint that does not fit the model or optimiser it is loaded into. */
export class CheckpointError extends Error {
  constructor(
    readonly problems: readonly string[],
    what = 'does not match (nothing was loaded)',
  ) {
    const shown = problems.slice(0, 20).map((p) => `  ${p}`);
    if (problems.length > 20) shown.push(`  ... ${problems.length - 20} more`);
    super(`checkpoint: ${what}:\n${shown.join('\n')}`);
    this.name = 'CheckpointError';
  }
}

export { SafetensorsError };

const OPTIMIZER_PREFIX = 'optimizer.';
const OPTIMIZER_KEY = 'selm-ts.optimizer';

/** Each tensor holding a NaN or an infinity, with the first such value: a diverged model is not a checkpoint. */
export function nonFiniteProblems(tensors: Iterable<readonly [string, Tensor]>): string[] {
  const out: string[] = [];
  for (const [name, t] of tensors) {
    const i = Array.from(t.data).findIndex((v) => !Number.isFinite(v));
    if (i >= 0) out.push(`'${name}' holds ${t.data[i]} at index ${i}`);
  }
  return out;
}

/** The model's parameters as safetensors bytes, with optional string metadata; non-finite weights are refused. */
export function encodeModel(
  model: Module,
  metadata: Record<string, string> = {},
  { allowNonFinite = false }: { allowNonFinite?: boolean } = {},
): Uint8Array {
  const bad = allowNonFinite ? [] : nonFiniteProblems(model.namedParameters());
  if (bad.length > 0) throw new CheckpointError(bad, 'not saved: the weights are not finite');
  return encodeSafetensors(model.namedParameters(), metadata);
}

/** Validates the bytes completely, checks them against the model, then loads; returns the metadata. */
export function loadModelBytes(
  model: Module,
  bytes: Uint8Array,
  { allowNonFinite = false }: { allowNonFinite?: boolean } = {},
): Record<string, string> {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const problems = model.stateDictProblems(tensors);
  if (!allowNonFinite) problems.push(...nonFiniteProblems(tensors));
  if (problems.length > 0) throw new CheckpointError(problems);
  model.loadStateDict(tensors);
  return metadata;
}

export interface TrainingCheckpoint {
  model: Module;
  optimizer: Optimizer;
  /** Free-form strings (the step, the seed, a generator state as JSON, ...). */
  metadata?: Record<string, string>;
}

/** Model parameters, optimiser buffers (prefixed `optimizer.`) and scalars, in one safetensors file. */
export function encodeTrainingCheckpoint({ model, optimizer, metadata = {} }: TrainingCheckpoint): Uint8Array {
  const bad = nonFiniteProblems(model.namedParameters());
  if (bad.length > 0) throw new CheckpointError(bad, 'not saved: the weights are not finite');
  const state = optimizer.getState();
  const entries: [string, Tensor][] = [...model.namedParameters()];
  for (const [name, t] of Object.entries(state.buffers)) entries.push([OPTIMIZER_PREFIX + name, t]);
  return encodeSafetensors(entries, { ...metadata, [OPTIMIZER_KEY]: JSON.stringify({ type: state.type, lr: state.lr }) });
}

/** Loads a training checkpoint into the model and optimiser (both validated before either is touched). */
export function loadTrainingCheckpointBytes(model: Module, optimizer: Optimizer, bytes: Uint8Array): Record<string, string> {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const modelState = new Map<string, Tensor>();
  // No prototype: a tensor named 'optimizer.__proto__' must be an unexpected buffer, not a silent no-op.
  const buffers = Object.create(null) as Record<string, Tensor>;
  for (const [name, t] of tensors) {
    if (name.startsWith(OPTIMIZER_PREFIX)) buffers[name.slice(OPTIMIZER_PREFIX.length)] = t;
    else modelState.set(name, t);
  }
  const problems = model.stateDictProblems(modelState);
  problems.push(...nonFiniteProblems(modelState));
  let optimizerState: OptimizerState | null = null;
  const raw = metadata[OPTIMIZER_KEY];
  try {
    const parsed: unknown = raw === undefined ? null : JSON.parse(raw);
    const scalars = parsed as { type?: unknown; lr?: unknown } | null;
    if (scalars && typeof scalars.type === 'string' && typeof scalars.lr === 'number') {
      optimizerState = { type: scalars.type, lr: scalars.lr, buffers };
    }
  } catch {
    // Reported below as a missing optimiser state.
  }
  if (optimizerState) problems.push(...optimizer.stateProblems(optimizerState).map((p) => `optimizer: ${p}`));
  else problems.push(`optimizer: metadata '${OPTIMIZER_KEY}' is missing or malformed`);
  if (problems.length > 0 || !optimizerState) throw new CheckpointError(problems);
  model.loadStateDict(modelState);
  optimizer.setState(optimizerState);
  const rest = { ...metadata };
  delete rest[OPTIMIZER_KEY];
  return rest;
}
