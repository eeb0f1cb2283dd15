/** A bandit policy's exact log-probabilities over its K responses, and one response picked from them (tabular and smooth policies). */
import type { Generator } from '../../autograd/index.js';
import type { ResponseMode } from '../policy.js';

/**
 * Sampled: a categorical draw from π, or from π^(1/temperature) renormalised (max-shifted) when temperature ≠ 1.
 * Greedy: the first of the most likely responses (ties go to the lower index).
 */
export function pickResponse(logp: Float64Array, mode: ResponseMode, generator: Generator, temperature = 1): number {
  if (mode === 'sample') {
    if (temperature === 1) return generator.categorical(Array.from(logp, Math.exp));
    let max = -Infinity;
    for (const v of logp) max = Math.max(max, v);
    return generator.categorical(Array.from(logp, (v) => Math.exp((v - max) / temperature)));
  }
  let best = 0;
  for (let k = 1; k < logp.length; k++) if (logp[k]! > logp[best]!) best = k;
  return best;
}

/** log softmax of one logit row in float64, shifted by its maximum (exact response log-probs of a finite policy). */
export function logSoftmaxRow(row: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) max = Math.max(max, row[i]!);
  let total = 0;
  for (let i = 0; i < row.length; i++) total += Math.exp(row[i]! - max);
  const logZ = max + Math.log(total);
  return Float64Array.from(row, (v) => v - logZ);
}
