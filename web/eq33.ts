/**
 * Eq. (3.3) response by response, for one prompt of a tabular policy: the numbers the page's eq. (3.3) panel
 * shows, computed by the library (src/selm/gradients.ts, theory.ts), nothing re-derived here.
 */
import { tensor } from '../src/autograd/index.js';
import { decomposedGradient, type FinitePolicy } from '../src/selm/gradients.js';
import { tabularLogProbs } from '../src/selm/tabular.js';
import { expectedImplicitRewardUnderReference } from '../src/selm/theory.js';

export interface Eq33Input {
  /** πθ(·|x) over the K responses. */
  policy: readonly number[];
  /** π_ref(·|x). */
  reference: readonly number[];
  /** The prompt's pairs of D_t (response indices). */
  pairs: readonly { chosen: number; rejected: number }[];
  alpha: number;
  beta: number;
}

export interface Eq33Row {
  response: number;
  reference: number;
  policy: number;
  /** r̂θ(x, y) = β log(πθ/π_ref). */
  implicitReward: number;
  /** exp(−r̂θ/β), eq. (3.3)'s weight (= π_ref/πθ). */
  weight: number;
  /** −∂L_DPO/∂logit_y: how the first line of (3.3) moves this response's logit under gradient descent. */
  dpoPush: number;
  /** −∂(αβ E_{π_ref}[log πθ])/∂logit_y: the second line's push. */
  optimismPush: number;
}

export interface Eq33Result {
  rows: Eq33Row[];
  /** E_{y ~ π_ref}[r̂θ(x, y)/β], section 3.3, by the library. */
  expectedRewardUnderReference: number;
  /** −KL(π_ref ‖ πθ), computed directly: the identity says the two are equal. */
  minusKl: number;
}

export function eq33(input: Eq33Input): Eq33Result {
  const K = input.policy.length;
  const logits = tensor(Float64Array.from(input.policy, Math.log), { shape: [1, K], dtype: 'float64', requiresGrad: true });
  const logReference = tensor(Float64Array.from(input.reference, Math.log), { shape: [1, K], dtype: 'float64' });
  const policy: FinitePolicy = { params: [logits], logProbTable: () => tabularLogProbs(logits) };
  const data = input.pairs.map((p) => ({ prompt: 0, chosen: p.chosen, rejected: p.rejected }));
  const { beta, alpha } = input;
  const g = data.length > 0 ? decomposedGradient({ policy, logReference, data, alpha, beta }) : null;
  const logTheta = tabularLogProbs(logits.detach());
  const rows = Array.from({ length: K }, (_, k): Eq33Row => {
    const implicitReward = beta * (logTheta.data[k]! - logReference.data[k]!);
    return {
      response: k,
      reference: input.reference[k]!,
      policy: Math.exp(logTheta.data[k]!),
      implicitReward,
      weight: g ? g.coefficients.importanceWeights[k]! : Math.exp(-implicitReward / beta),
      dpoPush: g ? -g.dpo[0]!.data[k]! : 0,
      optimismPush: g ? -g.optimism[0]!.data[k]! : 0,
    };
  });
  const expectedRewardUnderReference = expectedImplicitRewardUnderReference(logTheta, logReference, beta).data[0]!;
  const minusKl = -input.reference.reduce((a, p, k) => a + p * (Math.log(p) - logTheta.data[k]!), 0);
  return { rows, expectedRewardUnderReference, minusKl };
}
