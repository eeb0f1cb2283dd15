/**
 * The paper's theory on finite response spaces, as functions of log-probability tables [X, Y] (tabular.ts):
 * the KL-regularised objective (2.3), its closed-form maximiser, the inner problem F of (3.1) with its
 * optimal value (A.1), Theorem 3.1 with the problem (3.4), and the identity of section 3.3.
 * Rewards are tables [X, Y] of r(x, y); expectations over x are uniform over the table's prompts.
 */
import { add, div, exp, logsumexp, mul, neg, sub, unsqueeze, type Tensor } from '../autograd/index.js';
import { assertBeta, implicitReward } from './logprob.js';
import { expectation, klDivergence, overPrompts } from './tabular.js';

/** J(π) = E_{x, y ~ π}[r(x, y)] − β D_KL(π ‖ π_ref), eq. (2.3). A scalar. */
export function klRegularisedObjective(logPolicy: Tensor, reward: Tensor, logReference: Tensor, beta: number): Tensor {
  assertBeta(beta, 'klRegularisedObjective');
  return overPrompts(sub(expectation(logPolicy, reward), mul(klDivergence(logPolicy, logReference), beta)));
}

export interface GibbsPolicy {
  /** log π(y|x) of the policy, [X, Y]. */
  logPolicy: Tensor;
  /** log Z(x), [X]. */
  logPartition: Tensor;
}

/**
 * π_r(y|x) = π_ref(y|x) exp(r(x, y)/β) / Z(x) with Z(x) = Σ_y π_ref(y|x) exp(r(x, y)/β): the maximiser of (2.3)
 * and of the inner problem F(π; r) of (3.1) (section 3.1, the display after (3.1)). Computed in log space.
 */
export function optimalPolicy(reward: Tensor, logReference: Tensor, beta: number): GibbsPolicy {
  assertBeta(beta, 'optimalPolicy');
  const logits = add(logReference, div(reward, beta));
  const logPartition = logsumexp(logits, -1);
  return { logPolicy: sub(logits, unsqueeze(logPartition, -1)), logPartition };
}

/**
 * The inner objective of (3.1): F(π; r) = E_{x, y ~ π, y' ~ π_ref}[r(x, y) − r(x, y')] − β D_KL(π ‖ π_ref).
 * A scalar; the y' baseline makes the reward relative to what π_ref already gets.
 */
export function innerObjective(logPolicy: Tensor, reward: Tensor, logReference: Tensor, beta: number): Tensor {
  assertBeta(beta, 'innerObjective');
  const gain = sub(expectation(logPolicy, reward), expectation(logReference, reward));
  return overPrompts(sub(gain, mul(klDivergence(logPolicy, logReference), beta)));
}

export interface InnerOptimum {
  /** max_π F(π; r), the right-hand side of (A.1). */
  value: Tensor;
  /** E_x[β log E_{y ~ π_ref}[exp(r(x, y)/β)]] = E_x[β log Z(x)]: the first term of (A.1). */
  logPartitionTerm: Tensor;
  /** E_{x, y' ~ π_ref}[r(x, y')]: the second term of (A.1), subtracted. */
  referenceRewardTerm: Tensor;
}

/** The optimal value of the inner problem, eq. (A.1): E_x[β log Z(x)] − E_{x, y' ~ π_ref}[r(x, y')]. */
export function innerOptimalValue(reward: Tensor, logReference: Tensor, beta: number): InnerOptimum {
  const { logPartition } = optimalPolicy(reward, logReference, beta);
  const logPartitionTerm = overPrompts(mul(logPartition, beta));
  const referenceRewardTerm = overPrompts(expectation(logReference, reward));
  return { value: sub(logPartitionTerm, referenceRewardTerm), logPartitionTerm, referenceRewardTerm };
}

/**
 * The objective of (3.4): E_{x, y ~ π}[r̂_ρ(x, y)] + β D_KL(π ‖ π_ρ), with r̂_ρ = β (log π_ρ − log π_ref).
 * Theorem 3.1 says its minimiser over π is π_ref, whatever ρ.
 */
export function constrainedRewardObjective(logPolicy: Tensor, logRho: Tensor, logReference: Tensor, beta: number): Tensor {
  const reward = implicitReward(logRho, logReference, beta);
  return overPrompts(add(expectation(logPolicy, reward), mul(klDivergence(logPolicy, logRho), beta)));
}

/**
 * The minimiser of (3.4) in closed form (appendix B): π_ρ^min(y|x) = π_ρ(y|x) exp(−r̂_ρ(x, y)/β) / Z(x). It is
 * the Gibbs policy of the reward −r̂_ρ around π_ρ; algebraically Z(x) = Σ_y π_ref(y|x) = 1 and π_ρ^min = π_ref
 * (Theorem 3.1). Computed from the formula, not from the conclusion, so tests can check the conclusion.
 */
export function rewardMinimisingPolicy(logRho: Tensor, logReference: Tensor, beta: number): GibbsPolicy {
  return optimalPolicy(neg(implicitReward(logRho, logReference, beta)), logRho, beta);
}

/**
 * E_{x, y ~ π_sampler}[log πθ(y|x)]: the quantity both sides of Theorem 3.1 minimise over πθ, with y drawn
 * from π_ref on the left and from π_ρ^min on the right; with π_ref it is the optimism term of (3.2) over αβ.
 */
export function expectedLogLikelihood(logTheta: Tensor, logSampler: Tensor): Tensor {
  return overPrompts(expectation(logSampler, logTheta));
}

/**
 * E_{y ~ π_ref}[r̂θ(x, y)/β] for every prompt, shape [X] (section 3.3). It equals −KL(π_ref(·|x) ‖ πθ(·|x)),
 * so it is ≤ 0, and 0 exactly when πθ(·|x) = π_ref(·|x).
 */
export function expectedImplicitRewardUnderReference(logTheta: Tensor, logReference: Tensor, beta: number): Tensor {
  return expectation(logReference, div(implicitReward(logTheta, logReference, beta), beta));
}

/** exp of a log-probability table: the probabilities themselves (for reports and tests). */
export function probabilities(logPolicy: Tensor): Tensor {
  return exp(logPolicy);
}
