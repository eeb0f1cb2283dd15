/**
 * The gradient of the SELM objective, eq. (3.3), computed through its weights rather than by differentiating
 * the loss: for the loss we minimise, L = L_DPO + α β E_{x, y ~ π_ref}[log πθ(y|x)] (losses.ts),
 *
 *   ∇θ L = −β E_{(x, y_w, y_l) ~ D_t}[ σ(r̂θ(x, y_l) − r̂θ(x, y_w)) (∇θ log πθ(y_w|x) − ∇θ log πθ(y_l|x)) ]
 *          + α β E_{x ~ D, y ~ πθ(·|x)}[ exp(−r̂θ(x, y)/β) ∇θ log πθ(y|x) ].
 *
 * The first line is ∇θ L_DPO as the paper's (3.3) writes it; the second is the gradient of the optimism term by
 * importance sampling (appendix A: Σ_y π_ref ∇log πθ = E_{πθ}[(π_ref/πθ) ∇log πθ] and π_ref/πθ = exp(−r̂θ/β)).
 * The paper's display (3.3) gives that second line the sign of the maximised objective (3.2); for the loss,
 * which is (3.2) negated, it is added as above.
 *
 * The weights σ(·) and exp(−r̂/β) are computed explicitly and held constant; only the score functions
 * ∇θ log πθ(y|x) come from the policy (by autograd, or in closed form for tabular logits). Tests compare all of
 * this with autograd of the loss and with finite differences.
 */
import { add, apply, exp, grad, mul, noGrad, sigmoid, sub, sum, withGradMode, Tensor, type Rule } from '../autograd/index.js';
import type { Generator } from '../autograd/index.js';
import { assertBeta, implicitReward } from './logprob.js';
import { exactOptimismTerm, exactSelmLoss, tablePreferenceLogps, type TablePreference } from './objective.js';
import { dpoLoss } from './losses.js';
import { sampleResponses, tabularLogProbs } from './tabular.js';

/** A policy on a finite response space as a function of its parameters (tabular logits, or a GPT's weights). */
export interface FinitePolicy {
  params: Tensor[];
  /** log πθ(·|x) for every prompt, [X, Y], built from `params` (differentiable). */
  logProbTable(): Tensor;
}

/** The SELM problem of one iteration on a finite space: sigmoid DPO on `data` plus the optimism term. */
export interface FiniteSelmProblem {
  policy: FinitePolicy;
  /** log π_ref(·|x), [X, Y], a constant. */
  logReference: Tensor;
  data: readonly TablePreference[];
  alpha: number;
  beta: number;
}

/** The DPO term's per-pair weight σ(r̂(x, y_l) − r̂(x, y_w)) of eq. (3.3), [N]. */
export function dpoPairWeights(rewardChosen: Tensor, rewardRejected: Tensor): Tensor {
  return sigmoid(sub(rewardRejected, rewardChosen));
}

/** The optimism term's importance weight exp(−r̂θ(x, y)/β) of eq. (3.3), elementwise (it equals π_ref/πθ). */
export function importanceWeights(implicitRewards: Tensor, beta: number): Tensor {
  assertBeta(beta, 'importanceWeights');
  return exp(mul(implicitRewards, -1 / beta));
}

/** Σ_{x, y} c[x, y] ∇θ log πθ(y|x) for constant coefficients c [X, Y]: one backward pass through the table. */
export function scoreCombination(policy: FinitePolicy, coefficients: Tensor): Tensor[] {
  return withGradMode(true, () => {
    const table = policy.logProbTable();
    const surrogate = sum(mul(table, coefficients.detach()));
    return grad(surrogate, policy.params, { allowUnused: true }).map(
      (g, i) => g ?? new Tensor(new Float64Array(policy.params[i]!.size), policy.params[i]!.shape),
    );
  });
}

/** The coefficients c [X, Y] that the two lines of eq. (3.3) put on each score function ∇θ log πθ(y|x). */
export interface GradientCoefficients {
  /** −(β/N) Σ_i σ_i ([y = y_w,i] − [y = y_l,i]) on row x_i. */
  dpo: Float64Array;
  /** (α β / N) Σ_i [x = x_i] πθ(y|x) exp(−r̂θ(x, y)/β): the expectation over y ~ πθ, enumerated. */
  optimism: Float64Array;
  pairWeights: Float64Array;
  importanceWeights: Float64Array;
}

/** Computes the weights of eq. (3.3) at the current parameters and the coefficients they put on each score. */
export function gradientCoefficients(problem: FiniteSelmProblem): GradientCoefficients {
  const { logReference, data, alpha, beta } = problem;
  return noGrad(() => {
    const table = problem.policy.logProbTable();
    const [X, Y] = table.shape as [number, number];
    const N = data.length;
    const logps = tablePreferenceLogps(table, logReference, data);
    const pair = dpoPairWeights(
      implicitReward(logps.policyChosen, logps.referenceChosen, beta),
      implicitReward(logps.policyRejected, logps.referenceRejected, beta),
    );
    const iw = importanceWeights(implicitReward(table, logReference, beta), beta);
    const dpo = new Float64Array(X * Y);
    const optimism = new Float64Array(X * Y);
    data.forEach((d, i) => {
      const w = pair.data[i]!;
      dpo[d.prompt * Y + d.chosen]! -= (beta / N) * w;
      dpo[d.prompt * Y + d.rejected]! += (beta / N) * w;
      for (let y = 0; y < Y; y++) {
        const k = d.prompt * Y + y;
        optimism[k]! += ((alpha * beta) / N) * Math.exp(table.data[k]!) * iw.data[k]!;
      }
    });
    return { dpo, optimism, pairWeights: Float64Array.from(pair.data), importanceWeights: Float64Array.from(iw.data) };
  });
}

export interface DecomposedGradient {
  /** The first line of (3.3): ∇θ L_DPO, one tensor per parameter. */
  dpo: Tensor[];
  /** The second line: the optimism term's gradient through exp(−r̂/β), y ~ πθ enumerated. */
  optimism: Tensor[];
  /** Their sum: ∇θ L. */
  total: Tensor[];
  coefficients: GradientCoefficients;
}

/** Eq. (3.3) by exact enumeration of Y, for any finite policy (score functions by autograd). */
export function decomposedGradient(problem: FiniteSelmProblem): DecomposedGradient {
  const coefficients = gradientCoefficients(problem);
  const shape = problem.logReference.shape;
  const dpo = scoreCombination(problem.policy, new Tensor(coefficients.dpo, shape));
  const optimism = scoreCombination(problem.policy, new Tensor(coefficients.optimism, shape));
  const total = noGrad(() => dpo.map((g, i) => add(g, optimism[i]!)));
  return { dpo, optimism, total, coefficients };
}

/**
 * Eq. (3.3) for a tabular policy in closed form, with no autograd at all: ∇_{logits[x]} log π(y|x) = e_y − π(·|x),
 * so each line of (3.3) is a weighted sum of these. Returns ∇_logits L, [X, Y].
 */
export function tabularDecomposedGradient(
  logits: Tensor,
  logReference: Tensor,
  data: readonly TablePreference[],
  options: { alpha: number; beta: number },
): Tensor {
  const policy: FinitePolicy = { params: [logits], logProbTable: () => tabularLogProbs(logits) };
  const c = gradientCoefficients({ policy, logReference, data, ...options });
  const [X, Y] = logits.shape as [number, number];
  const probs = noGrad(() => exp(tabularLogProbs(logits))).data;
  const out = new Float64Array(X * Y);
  for (let x = 0; x < X; x++) {
    let mass = 0; // Σ_y c[x, y]: each score e_y − π contributes −c π to every entry of its row
    for (let y = 0; y < Y; y++) mass += c.dpo[x * Y + y]! + c.optimism[x * Y + y]!;
    for (let y = 0; y < Y; y++) out[x * Y + y] = c.dpo[x * Y + y]! + c.optimism[x * Y + y]! - mass * probs[x * Y + y]!;
  }
  return new Tensor(out, [X, Y]);
}

/** All parameters' gradients as one flat vector, in `params` order. */
export function flattenGradients(grads: readonly Tensor[]): Float64Array {
  const out = new Float64Array(grads.reduce((n, g) => n + g.size, 0));
  let offset = 0;
  for (const g of grads) {
    out.set(g.data, offset);
    offset += g.size;
  }
  return out;
}

export interface MonteCarloGradient {
  /** The estimate: the mean over draws, flattened over the parameters. */
  mean: Float64Array;
  /**
   * The per-coordinate SAMPLE standard deviation of one draw, from the draws themselves. A sample estimate, not
   * a bound: when πθ is far from π_ref the importance weights exp(−r̂θ/β) are heavy-tailed, the rare responses
   * that carry most of the variance are seldom drawn, and this understates the error badly. Use `exactSd`.
   */
  sd: Float64Array;
  /**
   * The exact per-coordinate standard deviation of one draw, by enumerating every response (the problem is
   * finite): the estimate's true standard error is exactSd / sqrt(draws).
   */
  exactSd: Float64Array;
  draws: number;
}

/**
 * A Monte-Carlo estimate of the optimism term's gradient, the second line of eq. (3.3): each draw samples
 * one y ~ πθ(·|x_i) for every triple i and contributes (α β / N) Σ_i exp(−r̂θ(x_i, y)/β) ∇θ log πθ(y|x_i).
 * Unbiased for `decomposedGradient(...).optimism` (exact enumeration). Returns the mean and the spread.
 */
export function monteCarloOptimismGradient(problem: FiniteSelmProblem, draws: number, generator: Generator): MonteCarloGradient {
  if (!Number.isInteger(draws) || draws < 2) throw new Error(`monteCarloOptimismGradient: need at least 2 draws, got ${draws}`);
  const { data, alpha, beta, logReference, policy } = problem;
  const N = data.length;
  const Y = logReference.shape[1]!;
  const table = noGrad(() => policy.logProbTable());
  const iw = noGrad(() => importanceWeights(implicitReward(table, logReference, beta), beta)).data;
  // Score vectors ∇θ log πθ(y|x), computed once per (x, y) that the sampler visits.
  const scores = new Map<number, Float64Array>();
  const score = (k: number): Float64Array => {
    let s = scores.get(k);
    if (!s) {
      const onehot = new Float64Array(table.size);
      onehot[k] = 1;
      s = flattenGradients(scoreCombination(policy, new Tensor(onehot, table.shape)));
      scores.set(k, s);
    }
    return s;
  };
  const samples = data.map((d) => sampleResponses(table, d.prompt, draws, generator));
  const P = flattenGradients(policy.params).length;
  const mean = new Float64Array(P);
  const m2 = new Float64Array(P);
  const g = new Float64Array(P);
  for (let n = 0; n < draws; n++) {
    g.fill(0);
    data.forEach((d, i) => {
      const k = d.prompt * Y + samples[i]![n]!;
      const s = score(k);
      const c = ((alpha * beta) / N) * iw[k]!;
      for (let p = 0; p < P; p++) g[p]! += c * s[p]!;
    });
    // Welford's update: no cancellation between a sum of squares and a squared sum.
    for (let p = 0; p < P; p++) {
      const delta = g[p]! - mean[p]!;
      mean[p]! += delta / (n + 1);
      m2[p]! += delta * (g[p]! - mean[p]!);
    }
  }
  // Unbiased sample variance (n − 1).
  const sd = m2.map((v) => Math.sqrt(v / (draws - 1)));
  // Each triple's response is drawn independently, so one draw's variance is the sum over triples of
  // Var_{y~πθ(·|x_i)}[c(x_i, y) ∇θ log πθ(y|x_i)], enumerated over y.
  const variance = new Float64Array(P);
  for (const d of data) {
    const first = new Float64Array(P);
    const second = new Float64Array(P);
    for (let y = 0; y < Y; y++) {
      const k = d.prompt * Y + y;
      const prob = Math.exp(table.data[k]!);
      const s = score(k);
      const c = ((alpha * beta) / N) * iw[k]!;
      for (let p = 0; p < P; p++) {
        const v = c * s[p]!;
        first[p]! += prob * v;
        second[p]! += prob * v * v;
      }
    }
    for (let p = 0; p < P; p++) variance[p]! += Math.max(0, second[p]! - first[p]! * first[p]!);
  }
  return { mean, sd, exactSd: variance.map(Math.sqrt), draws };
}

/** Which part of the loss a decomposed-gradient function evaluates. */
export type SelmPart = 'dpo' | 'optimism' | 'total';

/**
 * The exact SELM loss (or one of its parts) as a differentiable function of the policy's parameters whose
 * backward pass is eq. (3.3) through its weights instead of autograd of the loss. Finite differences of its
 * value against its backward check the decomposition itself (the `gradcheck` command does this).
 */
export function withDecomposedGradient(problem: FiniteSelmProblem, part: SelmPart): (...params: Tensor[]) => Tensor {
  const value = (): Tensor => {
    const table = problem.policy.logProbTable();
    const options = { alpha: problem.alpha, beta: problem.beta };
    if (part === 'dpo') return dpoLoss(tablePreferenceLogps(table, problem.logReference, problem.data), options);
    if (part === 'optimism') return exactOptimismTerm(table, problem.logReference, problem.data, options);
    return exactSelmLoss(table, problem.logReference, problem.data, options);
  };
  const rule: Rule<Record<string, never>> = {
    name: `selm-eq3.3-${part}`,
    forward: () => {
      const v = noGrad(value);
      return { data: v.data.slice(), shape: [] };
    },
    backward: (g) => {
      const d = decomposedGradient(problem);
      const parts = part === 'dpo' ? d.dpo : part === 'optimism' ? d.optimism : d.total;
      return parts.map((p) => mul(p, g));
    },
  };
  return (...params: Tensor[]) => {
    if (params.length !== problem.policy.params.length || params.some((p, i) => p !== problem.policy.params[i])) {
      throw new Error("withDecomposedGradient: call it with the problem policy's own parameter tensors");
    }
    return apply(rule, params, {});
  };
}
