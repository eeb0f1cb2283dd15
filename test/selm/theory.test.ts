import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Generator, grad, noGrad, tensor, type Tensor } from '../../src/autograd/index.js';
import {
  constrainedRewardObjective,
  expectedImplicitRewardUnderReference,
  expectedLogLikelihood,
  frozen,
  implicitReward,
  innerObjective,
  innerOptimalValue,
  klDivergence,
  klRegularisedObjective,
  modelLogProbTable,
  optimalPolicy,
  rewardMinimisingPolicy,
  tabularLogProbs,
} from '../../src/selm/index.js';
import { TINY_GPT_PROMPTS, TINY_GPT_RESPONSES, tinyGpt } from '../../src/selm/gradcheck-suite.js';
import { betaArb, maxAbsDiff, randomLogits, seedArb } from './fixtures.js';

const X = 3;
const Y = 5;

/** A random reference policy, a random reward table and a random other policy, from one seed. */
function setup(seed: number): { logRef: Tensor; reward: Tensor; logOther: Tensor; gen: Generator } {
  const gen = new Generator(seed);
  return {
    logRef: frozen(tabularLogProbs(randomLogits(gen, X, Y))),
    reward: randomLogits(gen, X, Y, 2),
    logOther: frozen(tabularLogProbs(randomLogits(gen, X, Y, 2))),
    gen,
  };
}

describe('the KL-regularised problem (2.3) and the inner problem F(π; r) of (3.1)', () => {
  it('π_r ∝ π_ref exp(r/β) maximises F and J: F(π_r) ≥ F(π) and J(π_r) ≥ J(π) for random π', () => {
    fc.assert(
      fc.property(seedArb, betaArb, (seed, beta) => {
        const { logRef, reward, logOther } = setup(seed);
        const { logPolicy } = optimalPolicy(reward, logRef, beta);
        expect(innerObjective(logPolicy, reward, logRef, beta).item()).toBeGreaterThanOrEqual(
          innerObjective(logOther, reward, logRef, beta).item(),
        );
        expect(klRegularisedObjective(logPolicy, reward, logRef, beta).item()).toBeGreaterThanOrEqual(
          klRegularisedObjective(logOther, reward, logRef, beta).item(),
        );
        // π_ref itself is a feasible π: F(π_ref) = 0, so the optimum is ≥ 0
        expect(innerObjective(logRef, reward, logRef, beta).item()).toBeCloseTo(0, 13);
      }),
    );
  });

  it('the gradient of F in logit space vanishes at π_r (and not at a random π)', () => {
    fc.assert(
      fc.property(seedArb, betaArb, (seed, beta) => {
        const { logRef, reward, logOther } = setup(seed);
        const at = (logits: Tensor): number => {
          const z = tensor(logits.data.slice(), { shape: logits.shape, dtype: 'float64', requiresGrad: true });
          const [g] = grad(innerObjective(tabularLogProbs(z), reward, logRef, beta), [z]);
          return Math.max(...Array.from(g!.data, Math.abs));
        };
        expect(at(optimalPolicy(reward, logRef, beta).logPolicy)).toBeLessThan(1e-12);
        expect(at(logOther)).toBeGreaterThan(1e-6);
      }),
    );
  });

  it('F(π_r; r) equals the optimal value (A.1): E_x[β log E_{π_ref}[exp(r/β)]] − E_{x, y′~π_ref}[r]', () => {
    fc.assert(
      fc.property(seedArb, betaArb, (seed, beta) => {
        const { logRef, reward } = setup(seed);
        const optimum = innerOptimalValue(reward, logRef, beta);
        const direct = innerObjective(optimalPolicy(reward, logRef, beta).logPolicy, reward, logRef, beta).item();
        expect(direct).toBeCloseTo(optimum.value.item(), 12);
        // and the same value from the definitions, by loops: β log Σ_y π_ref e^{r/β} − Σ_y π_ref r, averaged over x
        let byLoops = 0;
        for (let x = 0; x < X; x++) {
          let z = 0;
          let base = 0;
          for (let y = 0; y < Y; y++) {
            const p = Math.exp(logRef.data[x * Y + y]!);
            z += p * Math.exp(reward.data[x * Y + y]! / beta);
            base += p * reward.data[x * Y + y]!;
          }
          byLoops += (beta * Math.log(z) - base) / X;
        }
        expect(optimum.value.item()).toBeCloseTo(byLoops, 11);
        // max J = E_x[β log Z(x)]: the same optimum without the baseline
        expect(klRegularisedObjective(optimalPolicy(reward, logRef, beta).logPolicy, reward, logRef, beta).item()).toBeCloseTo(
          optimum.logPartitionTerm.item(),
          12,
        );
      }),
    );
  });

  it('with the reparameterised reward r = r̂θ the log-partition term of (A.1) is 0 and π_r = πθ', () => {
    fc.assert(
      fc.property(seedArb, betaArb, (seed, beta) => {
        const { logRef, logOther: logTheta } = setup(seed);
        const rhat = implicitReward(logTheta, logRef, beta);
        const optimum = innerOptimalValue(rhat, logRef, beta);
        // Σ_y π_ref exp(r̂θ/β) = Σ_y πθ = 1: zero up to the rounding of a logsumexp of normalised log-probs
        expect(Math.abs(optimum.logPartitionTerm.item())).toBeLessThan(1e-14);
        expect(maxAbsDiff(optimalPolicy(rhat, logRef, beta).logPolicy.data, logTheta.data)).toBeLessThan(1e-13);
        // what remains is −E_{π_ref}[r̂θ] = β KL(π_ref ‖ πθ): the bilevel objective becomes the optimism term of (3.2)
        const kl = Array.from(noGrad(() => klDivergence(logRef, logTheta)).data).reduce((s, v) => s + v, 0) / X;
        expect(optimum.value.item()).toBeCloseTo(beta * kl, 12);
      }),
    );
  });
});

describe('Theorem 3.1', () => {
  it('closed form (appendix B): the minimiser of (3.4) is π_ref for any ρ, with Z(x) = 1', () => {
    fc.assert(
      fc.property(seedArb, betaArb, (seed, beta) => {
        const { logRef, logOther: logRho, gen } = setup(seed);
        const { logPolicy, logPartition } = rewardMinimisingPolicy(logRho, logRef, beta);
        expect(maxAbsDiff(logPolicy.data, logRef.data)).toBeLessThan(1e-13);
        logPartition.data.forEach((v) => expect(Math.abs(v)).toBeLessThan(1e-14));
        // and it does minimise (3.4): no random policy does better
        const other = frozen(tabularLogProbs(randomLogits(gen, X, Y, 2)));
        expect(constrainedRewardObjective(logPolicy, logRho, logRef, beta).item()).toBeLessThanOrEqual(
          constrainedRewardObjective(other, logRho, logRef, beta).item() + 1e-15,
        );
      }),
    );
  });

  it('gradient descent on the tabular problem (3.4) returns π_ref for random ρ and π_ref', () => {
    fc.assert(
      fc.property(seedArb, betaArb, (seed, beta) => {
        const { logRef, logOther: logRho, gen } = setup(seed);
        const z = randomLogits(gen, X, Y, 1, true);
        // Near its minimiser (3.4) has Hessian (β/X)(diag π − π πᵀ) per prompt in logit space, whose eigenvalues
        // are below (β/X) max π < β/X: a step of 1.5 X/β is stable, and slow only along rare responses.
        const lr = (1.5 * X) / beta;
        for (let step = 0; step < 1500; step++) {
          const [g] = grad(constrainedRewardObjective(tabularLogProbs(z), logRho, logRef, beta), [z]);
          z.data.forEach((v, i) => (z.data[i] = v - lr * g!.data[i]!));
        }
        const pi = noGrad(() => tabularLogProbs(z)).data.map(Math.exp);
        expect(maxAbsDiff(pi, logRef.data.map(Math.exp))).toBeLessThan(1e-7);
      }),
      { numRuns: 8 },
    );
  });

  it('the two minimisation problems coincide: E_{π_ref}[log πθ] and E_{π_ρ^min}[log πθ] agree in value and gradient for every θ', () => {
    fc.assert(
      fc.property(seedArb, betaArb, (seed, beta) => {
        const { logRef, logOther: logRho, gen } = setup(seed);
        const piMin = rewardMinimisingPolicy(logRho, logRef, beta).logPolicy;
        const z = randomLogits(gen, X, Y, 2, true);
        const left = expectedLogLikelihood(tabularLogProbs(z), logRef);
        const right = expectedLogLikelihood(tabularLogProbs(z), piMin);
        expect(right.item()).toBeCloseTo(left.item(), 12);
        const [gl] = grad(left, [z]);
        const [gr] = grad(right, [z]);
        expect(maxAbsDiff(gl!.data, gr!.data)).toBeLessThan(1e-13);
      }),
    );
  });
});

describe('section 3.3: E_{y~π_ref}[r̂θ(x, y)/β] = −KL(π_ref ‖ πθ) ≤ 0', () => {
  it('holds for every prompt, for random policies', () => {
    fc.assert(
      fc.property(seedArb, betaArb, (seed, beta) => {
        const { logRef, logOther: logTheta } = setup(seed);
        const lhs = expectedImplicitRewardUnderReference(logTheta, logRef, beta).data;
        const kl = klDivergence(logRef, logTheta).data;
        lhs.forEach((v, x) => {
          expect(v).toBeCloseTo(-kl[x]!, 12);
          expect(v).toBeLessThan(0);
        });
      }),
    );
  });

  it('is 0 exactly when πθ = π_ref, and strictly negative on exactly the prompts where they differ', () => {
    fc.assert(
      fc.property(
        seedArb,
        betaArb,
        fc.integer({ min: 0, max: X - 1 }),
        fc.integer({ min: 0, max: Y - 1 }),
        fc.integer({ min: 1, max: 20 }),
        (seed, beta, x, y, k) => {
          const gen = new Generator(seed);
          const logits = randomLogits(gen, X, Y);
          const logRef = frozen(tabularLogProbs(logits));
          expectedImplicitRewardUnderReference(logRef, logRef, beta).data.forEach((v) => expect(v).toBe(0));
          const moved = logits.data.slice();
          moved[x * Y + y]! += k / 10;
          const logTheta = tabularLogProbs(tensor(moved, { shape: [X, Y] }));
          const values = expectedImplicitRewardUnderReference(logTheta, logRef, beta).data;
          values.forEach((v, row) => (row === x ? expect(v).toBeLessThan(0) : expect(v).toBe(0)));
        },
      ),
    );
  });

  it('holds for a tiny GPT whose every 2-token response is enumerated (rows are exact distributions)', () => {
    const theta = tinyGpt(new Generator(21));
    const ref = tinyGpt(new Generator(22));
    for (const m of [theta, ref]) for (const p of m.parameters()) if (p.ndim > 1) p.data.forEach((v, i) => (p.data[i] = 20 * v));
    const table = (m: typeof theta): Tensor =>
      noGrad(() => modelLogProbTable((ids) => m.forward(ids), TINY_GPT_PROMPTS, TINY_GPT_RESPONSES));
    const logTheta = table(theta);
    const logRef = table(ref);
    for (const t of [logTheta, logRef]) {
      for (let x = 0; x < TINY_GPT_PROMPTS.length; x++) {
        const row = t.data.subarray(x * TINY_GPT_RESPONSES.length, (x + 1) * TINY_GPT_RESPONSES.length);
        expect(Array.from(row).reduce((s, v) => s + Math.exp(v), 0)).toBeCloseTo(1, 13);
      }
    }
    const lhs = expectedImplicitRewardUnderReference(logTheta, logRef, 0.2).data;
    const kl = klDivergence(logRef, logTheta).data;
    lhs.forEach((v, x) => {
      expect(v).toBeCloseTo(-kl[x]!, 12);
      expect(v).toBeLessThan(0);
    });
    expect(maxAbsDiff(rewardMinimisingPolicy(logTheta, logRef, 0.2).logPolicy.data, logRef.data)).toBeLessThan(1e-12);
  });
});
