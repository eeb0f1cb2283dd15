/**
 * A run's checkpoints, checked both ways. On save every tensor must be finite (a diverged model is not saved as
 * if it were a result). On load the file must decode, every tensor must be finite, have the dtype and shape of
 * the policy's own, and the seed, method and iteration stored in the file must be the ones the caller expects
 * there: a DPO checkpoint copied over a SELM one, or an F32 table over the float64 bandit's, is an error, not a
 * silent evaluation of the wrong model. Every error names the file (and the tensor). `allowNonFinite` lets a
 * person inspect a diverged model on purpose. Browser-safe.
 */
import { nonFiniteProblems } from '../nn/checkpoint.js';
import { decodeSafetensors, encodeSafetensors } from '../nn/safetensors.js';
import { GptPolicy } from '../selm/policies/gpt.js';
import type { Policy } from '../selm/policy.js';
import { CheckpointFileError } from './errors.js';
import type { RunStorage } from './storage.js';

/** What a run's checkpoint must say about itself (the runner writes these keys into every file's metadata). */
export interface CheckpointIdentity {
  seed: number;
  method: string;
  /** Absent for the SFT model. */
  iteration?: number;
}

export interface CheckpointOptions {
  /** Save or load non-finite tensors anyway (to look at a diverged model). */
  allowNonFinite?: boolean;
}

function where(storage: RunStorage, path: string): string {
  return storage.location === 'memory' ? `memory:${path}` : `${storage.location}/${path}`;
}

/** Writes the policy's tensors with the metadata; refuses (plain Error, naming the file) non-finite weights. */
export function saveCheckpoint(
  storage: RunStorage,
  path: string,
  policy: Policy,
  metadata: Record<string, string>,
  options: CheckpointOptions = {},
): void {
  const entries = Object.entries(policy.stateDict());
  const bad = options.allowNonFinite ? [] : nonFiniteProblems(entries);
  if (bad.length > 0) throw new Error(`${where(storage, path)}: not saved: the model's weights are not finite (${bad.join('; ')})`);
  // A GPT's config (heads included, which no tensor shape records) travels with its weights.
  const model: Record<string, string> = policy instanceof GptPolicy ? { 'selm-ts.model': JSON.stringify(policy.model.config) } : {};
  storage.write(path, encodeSafetensors(entries, { ...metadata, ...model }));
}

/**
 * Loads a checkpoint into the policy after checking everything (nothing is loaded on a problem); returns its
 * metadata. With `expected`, the stored seed, method and iteration must match.
 */
export function loadCheckpoint(
  storage: RunStorage,
  path: string,
  policy: Policy,
  expected?: CheckpointIdentity,
  options: CheckpointOptions = {},
): Record<string, string> {
  const file = where(storage, path);
  let decoded: ReturnType<typeof decodeSafetensors>;
  try {
    decoded = decodeSafetensors(storage.read(path));
  } catch (e) {
    throw new CheckpointFileError(file, e instanceof Error ? e.message : String(e), { cause: e });
  }
  const { tensors, metadata } = decoded;
  const problems: string[] = [];
  if (expected) {
    const want: Record<string, string> = { seed: String(expected.seed), method: expected.method };
    if (expected.iteration !== undefined) want.iteration = String(expected.iteration);
    for (const [key, value] of Object.entries(want)) {
      const stored = Object.hasOwn(metadata, key) ? metadata[key] : undefined;
      if (stored !== value)
        problems.push(
          `stored ${key} is ${stored === undefined ? 'missing' : JSON.stringify(stored)}, expected ${JSON.stringify(value)} (a checkpoint of another model?)`,
        );
    }
  }
  const own = policy.stateDict();
  for (const [name, t] of tensors) {
    const mine = Object.hasOwn(own, name) ? own[name] : undefined;
    if (mine !== undefined && mine.dtype !== t.dtype) problems.push(`tensor '${name}' is ${t.dtype}, the model's is ${mine.dtype}`);
  }
  if (!options.allowNonFinite) problems.push(...nonFiniteProblems(tensors));
  if (problems.length > 0)
    throw new CheckpointFileError(file, `cannot be loaded (nothing was):\n${problems.map((p) => `  ${p}`).join('\n')}`);
  try {
    policy.loadStateDict(Object.fromEntries(tensors));
  } catch (e) {
    throw new CheckpointFileError(file, e instanceof Error ? e.message : String(e), { cause: e });
  }
  return metadata;
}
