/**
 * The SELM objective, eq. (3.2), in its two everyday shapes:
 *  - on a batch through models: a policy and a reference causal model (or the reference's precomputed
 *    log-probs) score the chosen, rejected and y_ref ~ π_ref responses; the loss is `selmLoss` of losses.ts;
 *  - exactly on a finite response space: the expectation over y_ref ~ π_ref is a sum over Y, so the
 *    objective is the population loss whose gradient eq. (3.3) describes (gradients.ts).
 * Both are losses to minimise: L_DPO + α β E_{x, y ~ π_ref}[log πθ(y|x)] (see losses.ts for the α convention).
 */
import { add, indexSelect, mean, mul, narrow, noGrad, type Tensor } from '../autograd/index.js';
import { assertBeta, sequenceLogProbs, type CausalLM, type PackOptions, type SequenceLogProbOptions } from './logprob.js';
import { dpoLosses, selmLosses, type DpoOptions, type PreferenceLogps, type ReferenceResponseLogps, type SelmOptions } from './losses.js';
import { preferenceMetrics, type PreferenceMetrics } from './metrics.js';
import { expectation, tableEntries } from './tabular.js';

/** One preference triple as token ids, with the optional y_ref ~ π_ref(·|prompt) of Algorithm 1, step 2. */
export interface PreferenceExample {
  prompt: readonly number[];
  chosen: readonly number[];
  rejected: readonly number[];
  /** A response sampled from π_ref for this prompt (needed when α ≠ 0). */
  referenceResponse?: readonly number[];
}

/** Sequence log-probs of a batch under one model: chosen, rejected and (when every example has one) y_ref, each [B]. */
export interface BatchLogps {
  chosen: Tensor;
  rejected: Tensor;
  response?: Tensor;
}

export type ModelOptions = SequenceLogProbOptions & PackOptions;

/**
 * Scores a batch with one forward pass over the concatenated rows [chosen; rejected; y_ref] (TRL's
 * `concatenated_forward`, with the authors' y_ref rows appended).
 */
export function batchLogps(model: CausalLM, batch: readonly PreferenceExample[], options: ModelOptions = {}): BatchLogps {
  const B = batch.length;
  if (B === 0) throw new Error('batchLogps: empty batch');
  const withResponse = batch.every((e) => e.referenceResponse !== undefined);
  const rows = [
    ...batch.map((e) => ({ prompt: e.prompt, response: e.chosen })),
    ...batch.map((e) => ({ prompt: e.prompt, response: e.rejected })),
    ...(withResponse ? batch.map((e) => ({ prompt: e.prompt, response: e.referenceResponse! })) : []),
  ];
  const all = sequenceLogProbs(model, rows, options);
  const out: BatchLogps = { chosen: narrow(all, 0, 0, B), rejected: narrow(all, 0, B, B) };
  if (withResponse) out.response = narrow(all, 0, 2 * B, B);
  return out;
}

export interface ModelLossResult {
  /** The batch loss to minimise (a scalar with a graph to the policy's parameters). */
  loss: Tensor;
  /** Per-example losses [B]. */
  losses: Tensor;
  metrics: PreferenceMetrics;
  logps: PreferenceLogps;
  response?: ReferenceResponseLogps;
}

/**
 * The SELM loss of eq. (3.2) for a batch: the policy's log-probs carry gradients; the reference's (a model,
 * run without recording, or precomputed `BatchLogps`) are constants. α = 0 gives the DPO loss exactly.
 */
export function selmLossForModels(
  policy: CausalLM,
  reference: CausalLM | BatchLogps,
  batch: readonly PreferenceExample[],
  options: SelmOptions & ModelOptions,
): ModelLossResult {
  const pol = batchLogps(policy, batch, options);
  const ref = typeof reference === 'function' ? noGrad(() => batchLogps(reference, batch, options)) : reference;
  const logps: PreferenceLogps = {
    policyChosen: pol.chosen,
    policyRejected: pol.rejected,
    referenceChosen: ref.chosen.detach(),
    referenceRejected: ref.rejected.detach(),
  };
  if (options.alpha !== 0 && !pol.response)
    throw new Error('selmLossForModels: α ≠ 0 needs a referenceResponse (y_ref ~ π_ref) for every example');
  const response: ReferenceResponseLogps | undefined = pol.response
    ? { policyResponse: pol.response, ...(ref.response ? { referenceResponse: ref.response.detach() } : {}) }
    : undefined;
  const losses = response ? selmLosses(logps, response, options) : dpoLosses(logps, options);
  const result: ModelLossResult = { loss: mean(losses), losses, metrics: preferenceMetrics(logps, response, options), logps };
  if (response) result.response = response;
  return result;
}

/** The DPO loss for a batch through models: `selmLossForModels` with α = 0. */
export function dpoLossForModels(
  policy: CausalLM,
  reference: CausalLM | BatchLogps,
  batch: readonly PreferenceExample[],
  options: DpoOptions & ModelOptions,
): ModelLossResult {
  return selmLossForModels(policy, reference, batch, { ...options, alpha: 0 });
}

/** A preference triple on a finite response space: indices of the prompt (a table row) and of y_w, y_l in Y. */
export interface TablePreference {
  prompt: number;
  chosen: number;
  rejected: number;
}

/** The four log-prob tensors of `losses.ts` read off a policy table and a reference table. */
export function tablePreferenceLogps(logPolicy: Tensor, logReference: Tensor, data: readonly TablePreference[]): PreferenceLogps {
  const xs = data.map((d) => d.prompt);
  const ws = data.map((d) => d.chosen);
  const ls = data.map((d) => d.rejected);
  return {
    policyChosen: tableEntries(logPolicy, xs, ws),
    policyRejected: tableEntries(logPolicy, xs, ls),
    referenceChosen: tableEntries(logReference, xs, ws),
    referenceRejected: tableEntries(logReference, xs, ls),
  };
}

/**
 * The optimism term of eq. (3.2) with its expectation computed exactly: α β E_{x ~ D_t} Σ_y π_ref(y|x) log πθ(y|x),
 * where x runs over the data set's prompts (one per triple, as in the batch loss).
 */
export function exactOptimismTerm(
  logPolicy: Tensor,
  logReference: Tensor,
  data: readonly TablePreference[],
  options: { alpha: number; beta: number },
): Tensor {
  assertBeta(options.beta, 'exactOptimismTerm');
  const perPrompt = expectation(logReference, logPolicy); // [X]: E_{y ~ π_ref(·|x)} log πθ(y|x)
  const perTriple = indexSelect(
    perPrompt,
    0,
    data.map((d) => d.prompt),
  );
  return mul(mean(perTriple), options.alpha * options.beta);
}

/**
 * The population SELM loss on a finite space: mean DPO loss over the triples (of any variant) plus the exact
 * optimism term, eq. (3.2) negated. Its gradient in the policy's parameters is eq. (3.3).
 */
export function exactSelmLoss(logPolicy: Tensor, logReference: Tensor, data: readonly TablePreference[], options: SelmOptions): Tensor {
  const dpo = mean(dpoLosses(tablePreferenceLogps(logPolicy, logReference, data), options));
  if (options.alpha === 0) return dpo;
  return add(dpo, exactOptimismTerm(logPolicy, logReference, data, options));
}
