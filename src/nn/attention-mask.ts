/**
 * The attention mask GPT.forward hands to every layer: allowed[b, 0, i, j] = 1 when query i (the i-th of this
 * call's T tokens, absolute index past + i) may attend to key j, that is j <= past + i (causality) and key j
 * is a real token (padding). Built once per forward from bookkeeping arrays, not per layer.
 */
import { Tensor, type DType } from '../autograd/index.js';

/**
 * `keyValid[b]` lists, for row b, 1/0 for every key (past ones first, then this call's T). Returns null when
 * every pair is allowed (a single query over real keys), a [1, 1, T, K] mask when no key is padding, and a
 * [B, 1, T, K] mask otherwise.
 */
export function buildAttentionMask(keyValid: readonly (readonly number[])[], T: number, dtype: DType): Tensor | null {
  const B = keyValid.length;
  const K = keyValid[0]?.length ?? 0;
  const past = K - T;
  const anyPadding = keyValid.some((row) => row.some((v) => v === 0));
  if (!anyPadding && T === 1) return null;
  const rows = anyPadding ? B : 1;
  const data = dtype === 'float64' ? new Float64Array(rows * T * K) : new Float32Array(rows * T * K);
  for (let b = 0; b < rows; b++) {
    const keys = keyValid[b]!;
    for (let i = 0; i < T; i++) {
      const base = (b * T + i) * K;
      for (let j = 0; j <= past + i; j++) data[base + j] = keys[j]!;
    }
  }
  return new Tensor(data, [rows, 1, T, K]);
}
