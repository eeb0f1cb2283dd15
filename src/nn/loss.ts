/** The language-modelling loss: mean cross-entropy of next-token predictions, padding ignored. */
import { crossEntropyFused, formatShape, reshape, Tensor } from '../autograd/index.js';
import { toMask, type MaskBatch, type TokenBatch } from './tokens.js';

/** The target value that contributes nothing to the loss (PyTorch's default ignore_index). */
export const IGNORE_INDEX = -100;

/**
 * Mean cross-entropy of logits [B, T, V] against targets [B, T]; targets equal to `ignoreIndex` are left out
 * of both the sum and the count. (0 when every target is ignored.)
 */
export function languageModelLoss(logits: Tensor, targets: TokenBatch, ignoreIndex = IGNORE_INDEX): Tensor {
  if (logits.ndim !== 3) throw new Error(`languageModelLoss: logits must be [B, T, V], got ${formatShape(logits.shape)}`);
  const [B, T, V] = logits.shape as [number, number, number];
  const flat = targets instanceof Tensor ? Array.from(targets.data) : targets.flatMap((row) => Array.from(row));
  const rows = targets instanceof Tensor ? targets.shape : [targets.length, targets[0]?.length ?? 0];
  if (rows.length !== 2 || rows[0] !== B || rows[1] !== T) {
    throw new Error(`languageModelLoss: targets of shape ${formatShape(rows)} do not match logits ${formatShape(logits.shape)}`);
  }
  if (flat.length !== B * T) throw new Error('languageModelLoss: targets are ragged (rows of different lengths)');
  // Fused softmax + cross-entropy: one kernel each way, the same function as the composite `crossEntropy`.
  return crossEntropyFused(reshape(logits, [B * T, V]), flat, { ignoreIndex });
}

export interface NextTokenBatch {
  /** ids[:, :-1]: what the model reads. */
  inputs: number[][];
  /** ids[:, 1:], with `ignoreIndex` wherever the predicted token is masked out. */
  targets: number[][];
  /** mask[:, :-1] when a padding mask was given (for GPT.forward's paddingMask); else undefined. */
  paddingMask?: number[][];
}

/**
 * Shifts a batch for next-token prediction: the logits at position t predict token t + 1. `lossMask` [B, T]
 * (1 = learn this token) selects the predicted tokens that count, e.g. the padding mask, or a response mask
 * for loss on responses only; `paddingMask` marks real tokens for attention.
 */
export function nextTokenBatch(
  ids: readonly ArrayLike<number>[],
  options: { lossMask?: MaskBatch; paddingMask?: MaskBatch; ignoreIndex?: number } = {},
): NextTokenBatch {
  const B = ids.length;
  const T = ids[0]?.length ?? 0;
  if (T < 2) throw new Error(`nextTokenBatch: sequences need at least 2 tokens, got ${T}`);
  const ignore = options.ignoreIndex ?? IGNORE_INDEX;
  const keep = options.lossMask ? toMask(options.lossMask, B, T, 'nextTokenBatch lossMask') : null;
  const pad = options.paddingMask ? toMask(options.paddingMask, B, T, 'nextTokenBatch paddingMask') : null;
  const inputs: number[][] = [];
  const targets: number[][] = [];
  const paddingMask: number[][] = [];
  ids.forEach((row, b) => {
    if (row.length !== T) throw new Error(`nextTokenBatch: row ${b} has length ${row.length}, row 0 has ${T}`);
    const r = Array.from(row);
    inputs.push(r.slice(0, -1));
    targets.push(r.slice(1).map((id, t) => (keep === null || keep[b * T + t + 1] === 1 ? id : ignore)));
    if (pad) paddingMask.push(Array.from(pad.subarray(b * T, b * T + T - 1)));
  });
  return pad ? { inputs, targets, paddingMask } : { inputs, targets };
}
