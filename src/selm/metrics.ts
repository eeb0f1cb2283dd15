/**
 * Training metrics of a preference batch, named as TRL's DPOTrainer and the authors' SELM trainer name them
 * (batch means), plus what the authors' code does not log: the DPO and optimism parts of the loss separately.
 */
import { gt, mean, noGrad, sub } from '../autograd/index.js';
import { implicitReward } from './logprob.js';
import {
  dpoLosses,
  optimismTerms,
  type DpoOptions,
  type OptimismForm,
  type PreferenceLogps,
  type ReferenceResponseLogps,
} from './losses.js';

export interface PreferenceMetrics {
  /** mean r̂θ(x, y_w) = β (log πθ − log π_ref)(y_w). */
  'rewards/chosen': number;
  /** mean r̂θ(x, y_l). */
  'rewards/rejected': number;
  /** Fraction of pairs with r̂θ(x, y_w) > r̂θ(x, y_l) (strictly, as TRL counts). */
  'rewards/accuracies': number;
  /** mean (r̂θ(x, y_w) − r̂θ(x, y_l)). */
  'rewards/margins': number;
  /** mean log πθ(y_w|x). */
  'logps/chosen': number;
  /** mean log πθ(y_l|x). */
  'logps/rejected': number;
  /** mean log πθ(y_ref|x) over the π_ref samples (only with a reference response). */
  'logps/pi_response'?: number;
  /** mean log π_ref(y_ref|x) (only with a reference response and its reference log-prob). */
  'logps/ref_response'?: number;
  /** The batch DPO loss (of the configured variant). */
  'loss/dpo': number;
  /** The batch optimism term (0 without a reference response or with α = 0). */
  'loss/optimism': number;
  /** loss/dpo + loss/optimism: the loss being minimised. */
  loss: number;
}

export interface MetricsOptions extends DpoOptions {
  alpha?: number;
  optimismForm?: OptimismForm;
}

/** Computes the metrics without recording a graph. */
export function preferenceMetrics(
  logps: PreferenceLogps,
  response: ReferenceResponseLogps | undefined,
  options: MetricsOptions,
): PreferenceMetrics {
  return noGrad(() => {
    const chosen = implicitReward(logps.policyChosen, logps.referenceChosen, options.beta);
    const rejected = implicitReward(logps.policyRejected, logps.referenceRejected, options.beta);
    const dpo = mean(dpoLosses(logps, options)).item();
    const alpha = options.alpha ?? 0;
    const optimism = response && alpha !== 0 ? mean(optimismTerms(response, { ...options, alpha })).item() : 0;
    const metrics: PreferenceMetrics = {
      'rewards/chosen': mean(chosen).item(),
      'rewards/rejected': mean(rejected).item(),
      'rewards/accuracies': mean(gt(chosen, rejected)).item(),
      'rewards/margins': mean(sub(chosen, rejected)).item(),
      'logps/chosen': mean(logps.policyChosen).item(),
      'logps/rejected': mean(logps.policyRejected).item(),
      'loss/dpo': dpo,
      'loss/optimism': optimism,
      loss: dpo + optimism,
    };
    if (response) metrics['logps/pi_response'] = mean(response.policyResponse).item();
    if (response?.referenceResponse) metrics['logps/ref_response'] = mean(response.referenceResponse).item();
    return metrics;
  });
}

/**
 * TRL's logging window (`logging_steps`): numeric fields averaged over the records added since the last flush;
 * the step and iteration are the window's last. A field missing from some records is averaged over those that
 * have it.
 */
export class MetricsWindow<R extends { step: number; iteration: number }> {
  private records: R[] = [];

  get size(): number {
    return this.records.length;
  }

  add(record: R): void {
    this.records.push(record);
  }

  flush(): R {
    const last = this.records[this.records.length - 1];
    if (!last) throw new Error('MetricsWindow.flush: no records');
    const out: Record<string, unknown> = { ...last };
    for (const key of Object.keys(last)) {
      if (key === 'step' || key === 'iteration' || key === 'epoch' || typeof last[key as keyof R] !== 'number') continue;
      const values = this.records.map((r) => r[key as keyof R]).filter((v): v is R[keyof R] & number => typeof v === 'number');
      out[key] = values.reduce((a, v) => a + v, 0) / values.length;
    }
    this.records = [];
    return out as R;
  }
}
