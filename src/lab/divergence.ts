/**
 * Runs that finished but went wrong: a learning rate of 1e6 leaves a GPT with weights near 1e7 and r* 0, and
 * every loss along the way finite, so nothing stops the run. After a run, each method's checkpoints and step
 * records are read back and three things are flagged, each with where it began:
 *   - exploding weights: a checkpoint whose largest |weight| is over WEIGHT_LIMIT (initial GPT weights are
 *     about 0.02, the bandit's logits a few units; a sane run stays far below);
 *   - exploding gradients: a step whose gradient norm (before clipping) is over GRAD_NORM_LIMIT;
 *   - a collapsed policy: the final model puts (nearly) all its probability on one reward value for every
 *     held-out prompt while its mean sampled r* is below the SFT model's: it stopped exploring and got worse.
 * Browser-safe (reads through a RunStorage).
 */
import { decodeSafetensors } from '../nn/safetensors.js';
import type { ModelEval } from './evaluate.js';
import { checkpointPath, unitKey, type ExperimentResults } from './runner.js';
import { readText, type RunStorage } from './storage.js';

export const WEIGHT_LIMIT = 1e3;
export const GRAD_NORM_LIMIT = 1e3;
/** Probability on one reward value, at every held-out prompt, that counts as collapsed. */
export const COLLAPSE_MASS = 0.99;

export interface RunWarning {
  seed: number;
  method: string;
  kind: 'weights' | 'gradients' | 'collapse';
  /** Where it began: the first iteration (and step, for gradients) that shows it. */
  iteration: number;
  step?: number;
  message: string;
}

function maxAbsWeight(bytes: Uint8Array): number {
  let max = 0;
  for (const [, t] of decodeSafetensors(bytes).tensors) for (const v of t.data) max = Math.max(max, Math.abs(v));
  return max;
}

/** Whether every prompt's r* distribution has at least COLLAPSE_MASS on a single value. */
function collapsed(e: ModelEval): boolean {
  return e.sampled.every((d) => {
    const mass = new Map<number, number>();
    d.values.forEach((v, i) => mass.set(v, (mass.get(v) ?? 0) + d.weights[i]!));
    return Math.max(0, ...mass.values()) >= COLLAPSE_MASS;
  });
}

/** Every divergence of a finished run, in seed and method order. */
export function divergenceWarnings(storage: RunStorage, results: ExperimentResults): RunWarning[] {
  const { config, methods, evals } = results;
  const first = config.algorithm.zephyr ? 0 : 1;
  const steps = storage.exists('metrics.jsonl')
    ? readText(storage, 'metrics.jsonl')
        .split('\n')
        .filter((l) => l !== '')
        .map(
          (l) =>
            JSON.parse(l) as {
              seed: number;
              method: string;
              iteration: number;
              step: number;
              loss?: number;
              grad_norm?: number;
              learning_rate?: number;
            },
        )
    : [];
  const out: RunWarning[] = [];
  for (const seed of config.seeds) {
    // SFT first: every method of the seed starts from its checkpoint, so weights that exploded there are SFT's
    // fault and are reported once, as such, not as each method's from iteration 1.
    const sftPath = checkpointPath(seed, 'SFT', 'sft');
    const sftMax = storage.exists(sftPath) ? maxAbsWeight(storage.read(sftPath)) : 0;
    const sftExploded = !(sftMax <= WEIGHT_LIMIT);
    if (sftExploded) {
      const sftSteps = steps.filter((s) => s.seed === seed && s.method === 'SFT');
      // Where it began: the first step whose loss is over 100 times the first step's (or not finite).
      const base = sftSteps[0]?.loss;
      const jump = sftSteps.find((s) => base !== undefined && !((s.loss ?? 0) <= 100 * Math.abs(base)));
      out.push({
        seed,
        method: 'SFT',
        kind: 'weights',
        iteration: 0,
        step: jump?.step,
        message: `seed ${seed}: exploding weights during SFT: max |weight| ${sftMax.toExponential(2)} in ${sftPath} (over ${WEIGHT_LIMIT})${jump ? `, from SFT step ${jump.step} (loss ${(jump.loss ?? Number.NaN).toExponential(2)}, first step's ${base!.toExponential(2)})` : ''}; every method of this seed starts from it; lower sft.lr`,
      });
    }
    for (const m of methods) {
      const who = `seed ${seed}, ${m.name}`;
      for (let t = first; t <= config.algorithm.iterations && !sftExploded; t++) {
        const path = checkpointPath(seed, m.name, t);
        if (!storage.exists(path)) break;
        const max = maxAbsWeight(storage.read(path));
        if (!(max <= WEIGHT_LIMIT)) {
          // The step where it began: the first plain-SGD-sized update lr·‖g‖ over a tenth of the limit.
          const jump = steps.find(
            (s) =>
              s.seed === seed &&
              s.method === m.name &&
              s.iteration <= t &&
              !((s.learning_rate ?? 0) * (s.grad_norm ?? 0) <= WEIGHT_LIMIT / 10),
          );
          const where = jump
            ? `, from iteration ${jump.iteration}, step ${jump.step} (update lr·‖g‖ ${((jump.learning_rate ?? 0) * (jump.grad_norm ?? 0)).toExponential(2)})`
            : '';
          out.push({
            seed,
            method: m.name,
            kind: 'weights',
            iteration: t,
            step: jump?.step,
            message: `${who}: exploding weights: max |weight| ${max.toExponential(2)} at iteration ${t} (over ${WEIGHT_LIMIT})${where}; lower the learning rate`,
          });
          break;
        }
      }
      const big = steps.find(
        (s) => s.seed === seed && s.method === m.name && typeof s.grad_norm === 'number' && !(s.grad_norm <= GRAD_NORM_LIMIT),
      );
      if (big) {
        out.push({
          seed,
          method: m.name,
          kind: 'gradients',
          iteration: big.iteration,
          step: big.step,
          message: `${who}: exploding gradients: norm ${big.grad_norm!.toExponential(2)} at iteration ${big.iteration}, step ${big.step} (over ${GRAD_NORM_LIMIT})`,
        });
      }
      const last = evals[unitKey(seed, m.name, config.algorithm.iterations)];
      const sft = evals[unitKey(seed, 'SFT', 'sft')];
      if (last && sft && collapsed(last) && last.meanSampled < sft.meanSampled) {
        let began = config.algorithm.iterations;
        for (let t = config.algorithm.iterations; t >= first; t--) {
          const e = evals[unitKey(seed, m.name, t)];
          if (e && collapsed(e)) began = t;
          else break;
        }
        out.push({
          seed,
          method: m.name,
          kind: 'collapse',
          iteration: began,
          message: `${who}: collapsed policy: one reward value holds >= ${COLLAPSE_MASS} of the probability at every held-out prompt from iteration ${began}, with mean sampled r* ${last.meanSampled.toFixed(3)} below SFT's ${sft.meanSampled.toFixed(3)}`,
        });
      }
    }
  }
  return out;
}

/**
 * The same weight and gradient checks on one trained policy without checkpoints (a study's seed): its largest
 * |weight| after the last iteration and its largest gradient norm over all steps (with where it was).
 */
export function policyWarnings(
  seed: number,
  method: string,
  iteration: number,
  maxWeight: number,
  maxGrad: { norm: number; iteration: number; step: number },
): RunWarning[] {
  const who = `seed ${seed}, ${method}`;
  const out: RunWarning[] = [];
  if (!(maxWeight <= WEIGHT_LIMIT))
    out.push({
      seed,
      method,
      kind: 'weights',
      iteration,
      message: `${who}: exploding weights: max |weight| ${maxWeight.toExponential(2)} after iteration ${iteration} (over ${WEIGHT_LIMIT}); lower the learning rate`,
    });
  if (!(maxGrad.norm <= GRAD_NORM_LIMIT))
    out.push({
      seed,
      method,
      kind: 'gradients',
      iteration: maxGrad.iteration,
      step: maxGrad.step,
      message: `${who}: exploding gradients: norm ${maxGrad.norm.toExponential(2)} at iteration ${maxGrad.iteration}, step ${maxGrad.step} (over ${GRAD_NORM_LIMIT})`,
    });
  return out;
}

/**
 * SELM's loss is L_DPO − αβ·KL(π_ref‖πθ) + const (section 3.3), unbounded below: once its optimism term
 * outweighs the DPO term, where training stops decides the result. `loss` is the whole loss, `optimism` its term.
 */
export function optimismDominates(loss: number, optimism: number): boolean {
  return Math.abs(optimism) > Math.abs(loss - optimism);
}

export function optimismWarningText(where: string): string {
  return `${where} the optimism term outweighs the DPO term in SELM's final loss (−αβ·KL(π_ref‖πθ) has no minimum, so where training stops decides SELM's result)`;
}

/**
 * The warnings as a Markdown section, appended to the run's summary.md. `collapseFails`: whether a collapsed
 * policy fails the run (selm train) or is only a finding (the demo's α sweep); the heading says which.
 */
export function warningsMarkdown(warnings: readonly RunWarning[], collapseFails = true): string {
  const heading =
    collapseFails || warnings.some((w) => w.kind !== 'collapse') ? 'this run diverged' : 'a policy collapsed (a finding, not a failure)';
  return `\n## Warnings: ${heading}\n\n${warnings.map((w) => `- ${w.message}`).join('\n')}\n`;
}

/** A run that finished with divergence warnings: its report is written, and the exit status says it failed (1). */
export class RunDivergedError extends Error {
  constructor(
    readonly dir: string,
    readonly warnings: readonly RunWarning[],
  ) {
    super(
      `the run ${warnings.every((w) => w.kind === 'collapse') ? 'ended with a collapsed policy' : 'diverged'} (its report, with these warnings, is in ${dir}/summary.md):\n${warnings.map((w) => `  ${w.message}`).join('\n')}`,
    );
    this.name = 'RunDivergedError';
  }
}
