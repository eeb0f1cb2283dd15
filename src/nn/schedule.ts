/**
 * Learning-rate schedules as pure functions of the optimiser step (0 for the first step), with the Hugging
 * Face Trainer's semantics, which the paper's codebase (the Alignment Handbook) uses:
 *   warm-up:  lr(s) = peak * s / W                                     for s < W, W = ceil(warmupRatio * total)
 *   then      constant: peak;  linear: peak * (total - s) / (total - W);
 *             cosine:   peak * (1 + cos(pi * (s - W) / (total - W))) / 2
 * (with a floor `minLr`, the decays run from peak down to minLr instead of 0; past `total` they stay there).
 */

export type Schedule = (step: number) => number;

export type Decay = 'constant' | 'linear' | 'cosine';

export interface WarmupDecayOptions {
  peakLr: number;
  totalSteps: number;
  /** Fraction of totalSteps spent warming up linearly from 0 (rounded up to whole steps); default 0. */
  warmupRatio?: number;
  /** Explicit warm-up length; overrides warmupRatio. */
  warmupSteps?: number;
  decay?: Decay;
  /** The value the decays end at (default 0). */
  minLr?: number;
}

function check(what: string, ok: boolean, message: string): void {
  if (!ok) throw new Error(`${what}: ${message}`);
}

/** The number of warm-up steps of a schedule: ceil(ratio * total), as the Hugging Face Trainer counts them. */
export function warmupStepsOf(totalSteps: number, warmupRatio: number): number {
  return Math.ceil(warmupRatio * totalSteps);
}

/** Linear warm-up, then constant, linear or cosine decay (see the file comment for the formulas). */
export function warmupDecay(options: WarmupDecayOptions): Schedule {
  const { peakLr, totalSteps } = options;
  const minLr = options.minLr ?? 0;
  const decay = options.decay ?? 'linear';
  const ratio = options.warmupRatio ?? 0;
  check('warmupDecay', Number.isFinite(peakLr) && peakLr >= 0, `peakLr must be a finite number >= 0, got ${peakLr}`);
  check('warmupDecay', Number.isInteger(totalSteps) && totalSteps >= 1, `totalSteps must be a positive integer, got ${totalSteps}`);
  check('warmupDecay', ratio >= 0 && ratio <= 1, `warmupRatio must be in [0, 1], got ${ratio}`);
  check('warmupDecay', minLr >= 0 && minLr <= peakLr, `minLr must be in [0, peakLr], got ${minLr}`);
  const warmup = options.warmupSteps ?? warmupStepsOf(totalSteps, ratio);
  check(
    'warmupDecay',
    Number.isInteger(warmup) && warmup >= 0 && warmup <= totalSteps,
    `warmupSteps must be an integer in [0, totalSteps], got ${warmup}`,
  );
  return (step: number): number => {
    check('schedule', Number.isInteger(step) && step >= 0, `step must be a non-negative integer, got ${step}`);
    if (step < warmup) return (peakLr * step) / warmup;
    if (decay === 'constant') return peakLr;
    const progress = Math.min(1, (step - warmup) / Math.max(1, totalSteps - warmup));
    const factor = decay === 'linear' ? 1 - progress : 0.5 * (1 + Math.cos(Math.PI * progress));
    return minLr + (peakLr - minLr) * factor;
  };
}

export interface RestartOptions {
  /** The peak learning rate of each iteration, e.g. [5e-7, 3e-7, 1e-7]. */
  peaks: readonly number[];
  /** Optimiser steps in each iteration (one number for all, or one per iteration). */
  stepsPerIteration: number | readonly number[];
  /** Warm-up ratio inside each iteration (default 0.1, the paper's appendix C). */
  warmupRatio?: number;
  /** Decay inside each iteration (default cosine, as in the authors' SELM recipes). */
  decay?: Decay;
  minLr?: number;
}

/**
 * The paper's appendix C schedule: the learning rate restarts at each iteration of Algorithm 1 (each time
 * pi_ref is replaced and a fresh trainer runs), with its own warm-up and decay, and a peak that decays across
 * iterations ("a decaying cycle amplitude performs better than constant amplitudes"). `step` counts optimiser
 * steps over all iterations; after the last iteration the schedule stays at its final value.
 */
export function restartSchedule(options: RestartOptions): Schedule {
  const { peaks } = options;
  check('restartSchedule', peaks.length >= 1, 'needs at least one peak');
  const steps =
    typeof options.stepsPerIteration === 'number' ? peaks.map(() => options.stepsPerIteration as number) : [...options.stepsPerIteration];
  check('restartSchedule', steps.length === peaks.length, `${steps.length} iteration lengths for ${peaks.length} peaks`);
  const cycles = peaks.map((peakLr, i) =>
    warmupDecay({
      peakLr,
      totalSteps: steps[i]!,
      warmupRatio: options.warmupRatio ?? 0.1,
      decay: options.decay ?? 'cosine',
      minLr: options.minLr ?? 0,
    }),
  );
  return (step: number): number => {
    check('schedule', Number.isInteger(step) && step >= 0, `step must be a non-negative integer, got ${step}`);
    let start = 0;
    for (let i = 0; i < cycles.length; i++) {
      if (step < start + steps[i]! || i === cycles.length - 1) return cycles[i]!(step - start);
      start += steps[i]!;
    }
    throw new Error('restartSchedule: unreachable');
  };
}

/**
 * Peaks decaying linearly from `first` to `last` over `iterations` (the paper's Llama-3 setting: 5e-7 to 1e-7
 * within 3 iterations gives 5e-7, 3e-7, 1e-7).
 */
export function linearPeaks(first: number, last: number, iterations: number): number[] {
  check('linearPeaks', Number.isInteger(iterations) && iterations >= 1, `iterations must be a positive integer, got ${iterations}`);
  if (iterations === 1) return [first];
  return Array.from({ length: iterations }, (_, i) => first + ((last - first) * i) / (iterations - 1));
}
