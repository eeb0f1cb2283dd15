/** One response index from a bandit policy's log-probabilities over its K responses (tabular and smooth policies). */
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
