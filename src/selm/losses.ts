/**
 * Preference losses as pure functions of sequence log-probabilities (so every one is testable without a
 * model): DPO and the variants TRL offers (IPO, hinge, conservative DPO), and SELM's eq. (3.2).
 *
 * Inputs are log-prob tensors of shape [B] (one entry per preference triple); per-example losses are [B] and
 * the batch loss is their mean, as in TRL and in the authors' SELM trainer (`losses.mean()`).
 *
 * THE α CONVENTION (stated once, here). We write the SELM loss, to minimise, as
 *
 *     L_SELM = L_DPO + α · β · E_{x, y_ref ~ π_ref}[log πθ(y_ref | x)],          eq. (3.2) negated
 *
 * which is eq. (3.2) of the paper (its maximised objective is −L_SELM) and the authors' code
 * (github.com/shenao-zhang/SELM, scripts/selm_trainer.py, `optimistic_dpo_loss`:
 * `-F.logsigmoid(beta * logits) + alpha * beta * response_logratios`). The paper's Algorithm 1, step 4,
 * writes the same term with the coefficient α alone: Algorithm 1's α is our α · β. The values of appendix C
 * (α = 0.001 for Zephyr, 0.0001 for Llama-3) are the `alpha` of the authors' code, that is, ours.
 * With α = 0 the SELM loss is the DPO loss, bit for bit.
 */
import { add, logsigmoid, mean, mul, neg, pow, relu, sub, type Tensor } from '../autograd/index.js';
import { assertBeta } from './logprob.js';

/** DPO's loss shapes, named as TRL's `loss_type` names them. */
export type DpoLossType = 'sigmoid' | 'ipo' | 'hinge';

/** The four sequence log-probs of a batch of preference pairs, each [B]. */
export interface PreferenceLogps {
  policyChosen: Tensor;
  policyRejected: Tensor;
  referenceChosen: Tensor;
  referenceRejected: Tensor;
}

export interface DpoOptions {
  /** The KL coefficient β of (2.3), which scales the implicit reward. */
  beta: number;
  lossType?: DpoLossType;
  /** Conservative DPO (cDPO): the probability ε that a preference label is flipped; sigmoid only. Default 0. */
  labelSmoothing?: number;
}

/**
 * h = (log πθ(y_w) − log πθ(y_l)) − (log π_ref(y_w) − log π_ref(y_l)), so that β·h = r̂(x, y_w) − r̂(x, y_l):
 * the argument of σ in L_DPO (section 2.2). TRL calls it `logits`.
 */
export function preferenceLogits(logps: PreferenceLogps): Tensor {
  return sub(sub(logps.policyChosen, logps.policyRejected), sub(logps.referenceChosen, logps.referenceRejected));
}

/**
 * Per-example DPO losses, TRL's formulas (trl/trainer/dpo_trainer.py, `dpo_loss`), with h from
 * `preferenceLogits`:
 *  - sigmoid (DPO, section 2.2; with ε > 0, conservative DPO, Mitchell 2023, "cDPO" eq. 3):
 *        −(1 − ε) log σ(β h) − ε log σ(−β h)
 *  - ipo (Azar et al. 2023, eq. 17, β playing IPO's τ):  (h − 1 / (2β))²
 *  - hinge (RSO, Liu et al. 2023):                        max(0, 1 − β h)
 */
export function dpoLosses(logps: PreferenceLogps, options: DpoOptions): Tensor {
  const { beta } = options;
  assertBeta(beta, 'dpoLosses');
  const type = options.lossType ?? 'sigmoid';
  const eps = options.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps <= 0.5)) throw new Error(`dpoLosses: labelSmoothing must be in [0, 0.5], got ${eps}`);
  if (eps > 0 && type !== 'sigmoid') throw new Error(`dpoLosses: labelSmoothing applies to the sigmoid loss only, not '${type}'`);
  const h = preferenceLogits(logps);
  switch (type) {
    case 'sigmoid': {
      const fit = neg(logsigmoid(mul(h, beta)));
      // ε = 0 is plain DPO: skip the flipped-label term so the value is exactly −log σ(β h).
      return eps === 0 ? fit : sub(mul(fit, 1 - eps), mul(logsigmoid(mul(h, -beta)), eps));
    }
    case 'ipo':
      return pow(sub(h, 1 / (2 * beta)), 2);
    case 'hinge':
      return relu(sub(1, mul(h, beta)));
    default: {
      const unknown: never = type;
      throw new Error(`dpoLosses: unknown loss type '${String(unknown)}'`);
    }
  }
}

/** The batch DPO loss: the mean of `dpoLosses`. */
export function dpoLoss(logps: PreferenceLogps, options: DpoOptions): Tensor {
  return mean(dpoLosses(logps, options));
}

/**
 * The two forms of the optimism term for a y_ref sampled from π_ref:
 *  - 'paper':   α β log πθ(y_ref|x)                           (eq. (3.2))
 *  - 'authors': α β (log πθ(y_ref|x) − log π_ref(y_ref|x)) = α r̂θ(x, y_ref)   (the authors' code)
 * They differ by a constant in θ, so their gradients are equal; the authors' form is 0 at the start of each
 * iteration of Algorithm 1 (πθ = π_ref), which makes the logged loss start at the DPO value log 2.
 */
export type OptimismForm = 'paper' | 'authors';

/** log-probs of the responses y_ref ~ π_ref(·|x), each [B]; the reference's is needed by the 'authors' form. */
export interface ReferenceResponseLogps {
  policyResponse: Tensor;
  referenceResponse?: Tensor;
}

export interface SelmOptions extends DpoOptions {
  /** The optimism coefficient α of eq. (3.2) (see the α convention at the top of this file). */
  alpha: number;
  optimismForm?: OptimismForm;
}

/** Per-example optimism terms α β log πθ(y_ref|x) (eq. (3.2)) or α β (log πθ − log π_ref)(y_ref|x). */
export function optimismTerms(
  response: ReferenceResponseLogps,
  options: { alpha: number; beta: number; optimismForm?: OptimismForm },
): Tensor {
  const { alpha, beta } = options;
  assertBeta(beta, 'optimismTerms');
  if (!Number.isFinite(alpha)) throw new Error(`optimismTerms: alpha must be finite, got ${alpha}`);
  const form = options.optimismForm ?? 'paper';
  if (form === 'paper') return mul(response.policyResponse, alpha * beta);
  if (!response.referenceResponse) throw new Error("optimismTerms: the 'authors' form needs referenceResponse (log π_ref(y_ref|x))");
  return mul(sub(response.policyResponse, response.referenceResponse), alpha * beta);
}

/**
 * Per-example SELM losses, eq. (3.2) negated: dpoLosses + optimismTerms. The DPO part may be any variant
 * (the authors' trainer asserts sigmoid; the others are offered for experiments). With α = 0 this returns
 * the DPO losses themselves, so SELM with α = 0 is DPO exactly (same values, same graph).
 */
export function selmLosses(logps: PreferenceLogps, response: ReferenceResponseLogps, options: SelmOptions): Tensor {
  const dpo = dpoLosses(logps, options);
  if (options.alpha === 0) return dpo;
  return add(dpo, optimismTerms(response, options));
}

/** The batch SELM loss: the mean of `selmLosses`. */
export function selmLoss(logps: PreferenceLogps, response: ReferenceResponseLogps, options: SelmOptions): Tensor {
  return mean(selmLosses(logps, response, options));
}
