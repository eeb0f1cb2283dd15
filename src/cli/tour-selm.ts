/**
 * `selm tour`'s DPO/SELM part: one prompt, three responses, a tabular policy. It prints the DPO and SELM
 * losses (eq. (3.2), minimised), the implicit rewards r̂ = β log(πθ/π_ref), eq. (3.3)'s weights
 * exp(−r̂/β) = π_ref/πθ, section 3.3's identity, and one finite-difference check of each term's gradient.
 */
import { gradcheckReport, mean, tensor, type Tensor } from '../autograd/index.js';
import { dpoLosses } from '../selm/losses.js';
import { exactOptimismTerm, exactSelmLoss, tablePreferenceLogps } from '../selm/objective.js';
import { tabularLogProbs } from '../selm/tabular.js';
import { expectedImplicitRewardUnderReference } from '../selm/theory.js';

const f = (v: number, digits = 4): string => (v >= 0 ? ' ' : '') + v.toFixed(digits);

/** Prints the DPO/SELM part of the tour through `log`; returns how many gradient checks failed. */
export function runSelmTour(log: (line: string) => void): number {
  const alpha = 1;
  const beta = 0.5;
  const reference = [0.6, 0.3, 0.1];
  const policy = [0.45, 0.3, 0.25];
  const data = [{ prompt: 0, chosen: 2, rejected: 0 }];
  const logRef = tensor([reference.map(Math.log)], { dtype: 'float64' });
  const logits = tensor([policy.map(Math.log)], { dtype: 'float64', requiresGrad: true });
  const logTheta = tabularLogProbs(logits);
  const dpoTerm = (l: Tensor): Tensor => mean(dpoLosses(tablePreferenceLogps(tabularLogProbs(l), logRef, data), { beta }));
  const optimismTerm = (l: Tensor): Tensor => exactOptimismTerm(tabularLogProbs(l), logRef, data, { alpha, beta });

  log('3. DPO and SELM on one prompt with three responses y0, y1, y2; the labeller preferred y2 to y0.');
  log(`   π_ref = [${reference.join(', ')}], πθ = [${policy.join(', ')}], α = ${alpha}, β = ${beta}`);
  log(`   L_DPO  = −log σ(r̂(y2) − r̂(y0))         = ${dpoTerm(logits).item().toFixed(6)}`);
  log(
    `   L_SELM = L_DPO + αβ E_π_ref[log πθ]  = ${exactSelmLoss(logTheta, logRef, data, { alpha, beta }).item().toFixed(6)}   (eq. 3.2, minimised)\n`,
  );
  log('   y    r̂ = β log(πθ/π_ref)   exp(−r̂/β) = π_ref/πθ   (eq. 3.3: the optimism term pushes down where the weight > 1)');
  policy.forEach((p, k) => {
    const r = beta * Math.log(p / reference[k]!);
    log(`   y${k}   ${f(r).padEnd(21)}${f(Math.exp(-r / beta)).padEnd(22)}`);
  });
  const lhs = expectedImplicitRewardUnderReference(logTheta, logRef, beta).data[0]!;
  const kl = reference.reduce((a, p, k) => a + p * Math.log(p / policy[k]!), 0);
  log(`\n   Section 3.3: E_π_ref[r̂/β] = ${lhs.toFixed(6)} = −KL(π_ref‖πθ) = ${(-kl).toFixed(6)} (0 only when πθ = π_ref)\n`);
  let failures = 0;
  for (const [name, fn] of [
    ['∇ L_DPO (first line of 3.3)', dpoTerm],
    ['∇ αβ E_π_ref[log πθ] (second line)', optimismTerm],
  ] as const) {
    const report = gradcheckReport(fn, [logits]);
    if (!report.ok) failures++;
    log(`   gradient check of ${name.padEnd(36)} max abs error ${report.maxAbsError.toExponential(2)}  ${report.ok ? 'pass' : 'FAIL'}`);
  }
  return failures;
}
