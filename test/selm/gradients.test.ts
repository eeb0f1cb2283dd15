import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Generator, grad, gradcheckReport, mean, noGrad, tensor, type Tensor } from '../../src/autograd/index.js';
import {
  decomposedGradient,
  dpoLosses,
  dpoPairWeights,
  exactOptimismTerm,
  exactSelmLoss,
  implicitReward,
  importanceWeights,
  monteCarloOptimismGradient,
  optimismTerms,
  tabularDecomposedGradient,
  tabularLogProbs,
  type FinitePolicy,
  type FiniteSelmProblem,
} from '../../src/selm/index.js';
import { tinyGptCheckProblem } from '../../src/selm/gradcheck-suite.js';
import { flattenGradients, scoreCombination, withDecomposedGradient } from '../../src/selm/gradients.js';
import { frozen, sampleResponses, tableEntries } from '../../src/selm/tabular.js';
import { alphaArb, betaArb, f64, logpsArb, maxAbsDiff, randomLogits, randomTriples, seedArb } from './fixtures.js';

const X = 3;
const Y = 5;

/** A random tabular SELM problem: policy logits, a different reference, 5 triples. */
function tabularProblem(seed: number, alpha: number, beta: number): FiniteSelmProblem & { logits: Tensor } {
  const gen = new Generator(seed);
  const logits = randomLogits(gen, X, Y, 1.5, true);
  const logReference = frozen(tabularLogProbs(randomLogits(gen, X, Y, 1.5)));
  const policy: FinitePolicy = { params: [logits], logProbTable: () => tabularLogProbs(logits) };
  return { policy, logReference, data: randomTriples(gen, X, Y, 5), alpha, beta, logits };
}

function autogradOfLoss(problem: FiniteSelmProblem): Float64Array {
  const loss = exactSelmLoss(problem.policy.logProbTable(), problem.logReference, problem.data, problem);
  return flattenGradients(
    grad(loss, problem.policy.params, { allowUnused: true }).map(
      (g, i) => g ?? tensor(new Float64Array(problem.policy.params[i]!.size), { shape: problem.policy.params[i]!.shape }),
    ),
  );
}

describe('eq. (3.3): the gradient through σ(r̂_l − r̂_w) and exp(−r̂/β) equals autograd of the SELM loss', () => {
  it('tabular policies: autograd == closed-form decomposition == score-function decomposition, to 1e-9', () => {
    fc.assert(
      fc.property(seedArb, betaArb, alphaArb, (seed, beta, alpha) => {
        const problem = tabularProblem(seed, alpha, beta);
        const auto = autogradOfLoss(problem);
        const closed = tabularDecomposedGradient(problem.logits, problem.logReference, problem.data, problem).data;
        const scores = flattenGradients(decomposedGradient(problem).total);
        expect(maxAbsDiff(auto, closed)).toBeLessThan(1e-9);
        expect(maxAbsDiff(auto, scores)).toBeLessThan(1e-9);
      }),
    );
  });

  it('tabular policies: the decomposition (each line and the total) equals finite differences (gradcheck)', () => {
    fc.assert(
      fc.property(
        seedArb,
        betaArb,
        alphaArb.filter((a) => a > 0),
        (seed, beta, alpha) => {
          const problem = tabularProblem(seed, alpha, beta);
          for (const part of ['dpo', 'optimism', 'total'] as const) {
            const report = gradcheckReport(withDecomposedGradient(problem, part), problem.policy.params);
            expect(report.problems).toEqual([]);
            expect(report.ok).toBe(true);
          }
        },
      ),
      { numRuns: 10 },
    );
  });

  it('an enumerable tiny GPT: autograd == decomposition to 1e-9 over all parameters, and both pass gradcheck', () => {
    const problem = tinyGptCheckProblem(5);
    const auto = autogradOfLoss(problem);
    const decomposed = decomposedGradient(problem);
    expect(maxAbsDiff(auto, flattenGradients(decomposed.total))).toBeLessThan(1e-9);
    expect(Math.max(...Array.from(auto, Math.abs))).toBeGreaterThan(1e-3); // not a vacuous comparison of zeros
    const lossFn = (): Tensor => exactSelmLoss(problem.policy.logProbTable(), problem.logReference, problem.data, problem);
    expect(gradcheckReport(lossFn, problem.policy.params, { fastMode: true }).ok).toBe(true);
    expect(gradcheckReport(withDecomposedGradient(problem, 'total'), problem.policy.params, { fastMode: true }).ok).toBe(true);
  });

  it('is sensitive to the weights: dropping exp(−r̂/β) (a plain E_{πθ}[∇ log πθ]) gives 0, not the optimism gradient', () => {
    const problem = tabularProblem(3, 1, 0.5);
    const { coefficients } = decomposedGradient(problem);
    const probs = noGrad(() => problem.policy.logProbTable()).data.map(Math.exp);
    const unweighted = new Float64Array(X * Y);
    problem.data.forEach((d) => {
      for (let y = 0; y < Y; y++) unweighted[d.prompt * Y + y]! += probs[d.prompt * Y + y]!;
    });
    const wrong = flattenGradients(scoreCombination(problem.policy, tensor(unweighted, { shape: [X, Y] })));
    const right = flattenGradients(scoreCombination(problem.policy, tensor(coefficients.optimism, { shape: [X, Y] })));
    expect(Math.max(...Array.from(wrong, Math.abs))).toBeLessThan(1e-14);
    expect(Math.max(...Array.from(right, Math.abs))).toBeGreaterThan(1e-2);
  });
});

describe('the weights of eq. (3.3)', () => {
  it('the DPO pair weight σ(r̂_l − r̂_w) is −1/β times ∂ℓ_DPO/∂ log πθ(y_w) and +1/β times ∂ℓ_DPO/∂ log πθ(y_l)', () => {
    fc.assert(
      fc.property(logpsArb(4), logpsArb(4), logpsArb(4), logpsArb(4), betaArb, (pc, pr, rc, rr, beta) => {
        const c = f64(pc, true);
        const r = f64(pr, true);
        const logps = { policyChosen: c, policyRejected: r, referenceChosen: f64(rc), referenceRejected: f64(rr) };
        const [gc, gr] = grad(mean(dpoLosses(logps, { beta })), [c, r]);
        const w = dpoPairWeights(implicitReward(f64(pc), f64(rc), beta), implicitReward(f64(pr), f64(rr), beta)).data;
        w.forEach((wi, i) => {
          expect(gc!.data[i]).toBeCloseTo((-beta * wi) / 4, 13);
          expect(gr!.data[i]).toBeCloseTo((beta * wi) / 4, 13);
        });
      }),
    );
  });

  it('the importance weight exp(−r̂θ/β) is π_ref/πθ, and Σ_y π_ref ∇log πθ = E_{y~πθ}[exp(−r̂θ/β) ∇log πθ] by enumeration', () => {
    const check = (problem: FiniteSelmProblem): void => {
      const table = noGrad(() => problem.policy.logProbTable());
      const iw = importanceWeights(implicitReward(table, problem.logReference, problem.beta), problem.beta).data;
      iw.forEach((w, k) => expect(w).toBeCloseTo(Math.exp(problem.logReference.data[k]! - table.data[k]!), 10));
      const shape = table.shape;
      const lhs = flattenGradients(scoreCombination(problem.policy, tensor(problem.logReference.data.map(Math.exp), { shape })));
      const rhs = flattenGradients(
        scoreCombination(
          problem.policy,
          tensor(
            table.data.map((l, k) => Math.exp(l) * iw[k]!),
            { shape },
          ),
        ),
      );
      expect(maxAbsDiff(lhs, rhs)).toBeLessThan(1e-12);
      expect(Math.max(...Array.from(lhs, Math.abs))).toBeGreaterThan(1e-3);
    };
    fc.assert(fc.property(seedArb, betaArb, (seed, beta) => check(tabularProblem(seed, 1, beta))));
    check(tinyGptCheckProblem(9));
  });
});

describe('the Monte-Carlo estimator of the optimism gradient (samples of πθ, seeded)', () => {
  /** |mean − exact| <= 5 sd / sqrt(n) in every coordinate, with sd the exact (enumerated) spread of one draw. */
  function expectUnbiased(problem: FiniteSelmProblem, draws: number, seed: number): void {
    const exact = flattenGradients(decomposedGradient(problem).optimism);
    const mc = monteCarloOptimismGradient(problem, draws, new Generator(seed));
    let power = 0;
    exact.forEach((e, p) => {
      const se = mc.exactSd[p]! / Math.sqrt(draws);
      expect(Math.abs(mc.mean[p]! - e)).toBeLessThanOrEqual(5 * se + 1e-12);
      if (se > 0) power = Math.max(power, Math.abs(e) / se);
    });
    // The bound is not vacuous: an estimator of 0 (no importance weights) would be rejected in some coordinate.
    expect(power).toBeGreaterThan(10);
  }

  it('is unbiased for the exact (enumerated) gradient on tabular policies', () => {
    fc.assert(
      fc.property(seedArb, betaArb, (seed, beta) => expectUnbiased(tabularProblem(seed, 0.8, beta), 4000, seed + 1)),
      { numRuns: 10 },
    );
  });

  it('is unbiased for the exact gradient of an enumerable tiny GPT', () => {
    expectUnbiased(tinyGptCheckProblem(13), 3000, 17);
  });

  it("exactSd is one draw's standard deviation, checked by brute force on one triple; sd is its sample estimate", () => {
    const problem = { ...tabularProblem(2, 1, 0.7) };
    const one = { ...problem, data: problem.data.slice(0, 1) };
    const table = noGrad(() => one.policy.logProbTable());
    const Y = one.logReference.shape[1]!;
    const iw = noGrad(() => importanceWeights(implicitReward(table, one.logReference, one.beta), one.beta)).data;
    const x = one.data[0]!.prompt;
    // One draw: y ~ πθ(·|x), contributing α β iw(x, y) ∇θ log πθ(y|x) (N = 1).
    const values = Array.from({ length: Y }, (_, y) => {
      const onehot = new Float64Array(table.size);
      onehot[x * Y + y] = 1;
      const s = flattenGradients(scoreCombination(one.policy, tensor(Array.from(onehot), { shape: table.shape, dtype: 'float64' })));
      return s.map((v) => one.alpha * one.beta * iw[x * Y + y]! * v);
    });
    const probs = Array.from({ length: Y }, (_, y) => Math.exp(table.data[x * Y + y]!));
    const mc = monteCarloOptimismGradient(one, 20000, new Generator(3));
    mc.exactSd.forEach((sdp, p) => {
      const m = probs.reduce((a, q, y) => a + q * values[y]![p]!, 0);
      const v = probs.reduce((a, q, y) => a + q * (values[y]![p]! - m) ** 2, 0);
      expect(sdp).toBeCloseTo(Math.sqrt(v), 12);
      // The sample estimate agrees at 20,000 draws (here πθ is near π_ref, where it is fine).
      expect(Math.abs(mc.sd[p]! - sdp)).toBeLessThanOrEqual(0.05 * sdp + 1e-12);
    });
    expect(Math.max(...mc.exactSd)).toBeGreaterThan(0);
  });

  it('mean and sd are exactly the average and the (n − 1) sample deviation of its draws (3 draws, recomputed one by one)', () => {
    const problem = tabularProblem(4, 1, 0.6);
    const { data, alpha, beta, logReference, policy } = problem;
    const draws = 3;
    const mc = monteCarloOptimismGradient(problem, draws, new Generator(9));
    // The same draws: y ~ πθ(·|x_i) for each triple in turn, from the same seed.
    const table = noGrad(() => policy.logProbTable());
    const gen = new Generator(9);
    const samples = data.map((d) => sampleResponses(table, d.prompt, draws, gen));
    const iw = noGrad(() => importanceWeights(implicitReward(table, logReference, beta), beta)).data;
    const perDraw = Array.from({ length: draws }, (_, n) => {
      const g = new Float64Array(mc.mean.length);
      data.forEach((d, i) => {
        const k = d.prompt * Y + samples[i]![n]!;
        const onehot = new Float64Array(X * Y);
        onehot[k] = 1;
        const score = flattenGradients(scoreCombination(policy, tensor(onehot, { shape: [X, Y] })));
        score.forEach((v, p) => (g[p]! += ((alpha * beta) / data.length) * iw[k]! * v));
      });
      return g;
    });
    mc.mean.forEach((m, p) => {
      const values = perDraw.map((g) => g[p]!);
      const average = values.reduce((a, b) => a + b, 0) / draws;
      const sd = Math.sqrt(values.reduce((a, v) => a + (v - average) ** 2, 0) / (draws - 1));
      expect(m).toBeCloseTo(average, 12);
      expect(mc.sd[p]!).toBeCloseTo(sd, 12);
    });
    expect(Math.max(...mc.sd)).toBeGreaterThan(0);
  });

  it('computes each score function ∇θ log πθ(y|x) once per (x, y), however many draws visit it', () => {
    const problem = tabularProblem(3, 1, 0.5);
    let tables = 0;
    const counted: FiniteSelmProblem = {
      ...problem,
      policy: {
        params: problem.policy.params,
        logProbTable: () => {
          tables++;
          return problem.policy.logProbTable();
        },
      },
    };
    const once = monteCarloOptimismGradient(counted, 400, new Generator(6));
    // One table for the weights, then one backward pass per distinct (x, y): at most X·Y, not one per draw.
    expect(tables).toBeGreaterThan(1);
    expect(tables).toBeLessThanOrEqual(1 + X * Y);
    expect(Array.from(once.mean)).toEqual(Array.from(monteCarloOptimismGradient(problem, 400, new Generator(6)).mean));
  });

  it('is reproducible from its seed', () => {
    const problem = tabularProblem(1, 1, 0.5);
    const a = monteCarloOptimismGradient(problem, 50, new Generator(4));
    const b = monteCarloOptimismGradient(problem, 50, new Generator(4));
    expect(Array.from(a.mean)).toEqual(Array.from(b.mean));
  });
});

describe('signs and scales', () => {
  it('one gradient step on the optimism term alone lowers log πθ(y_ref|x) (tabular and tiny GPT)', () => {
    const stepLowers = (problem: FiniteSelmProblem, x: number, yRef: number): void => {
      const logp = (): number => noGrad(() => problem.policy.logProbTable()).data[x * problem.logReference.shape[1]! + yRef]!;
      const before = logp();
      const term = mean(optimismTerms({ policyResponse: tableEntries(problem.policy.logProbTable(), [x], [yRef]) }, problem));
      const grads = grad(term, problem.policy.params, { allowUnused: true });
      problem.policy.params.forEach((p, i) => grads[i] && p.data.forEach((v, k) => (p.data[k] = v - 0.05 * grads[i]!.data[k]!)));
      expect(logp()).toBeLessThan(before);
    };
    fc.assert(
      fc.property(seedArb, betaArb, fc.integer({ min: 0, max: X - 1 }), fc.integer({ min: 0, max: Y - 1 }), (seed, beta, x, y) =>
        stepLowers(tabularProblem(seed, 1, beta), x, y),
      ),
    );
    stepLowers(tinyGptCheckProblem(3), 1, 4);
  });

  it('a step on the exact optimism term lowers E_{π_ref}[log πθ], i.e. raises KL(π_ref ‖ πθ); a DPO step on one pair raises its margin', () => {
    fc.assert(
      fc.property(seedArb, betaArb, (seed, beta) => {
        const problem = tabularProblem(seed, 1, beta);
        const value = (): number =>
          noGrad(() => exactOptimismTerm(problem.policy.logProbTable(), problem.logReference, problem.data, problem)).item();
        const margin = (): number =>
          noGrad(() => {
            const table = problem.policy.logProbTable();
            const xs = problem.data.map((d) => d.prompt);
            return (
              mean(
                tableEntries(
                  table,
                  xs,
                  problem.data.map((d) => d.chosen),
                ),
              ).item() -
              mean(
                tableEntries(
                  table,
                  xs,
                  problem.data.map((d) => d.rejected),
                ),
              ).item()
            );
          });
        const before = value();
        const d = decomposedGradient(problem);
        problem.logits.data.forEach((v, k) => (problem.logits.data[k] = v - 0.01 * d.optimism[0]!.data[k]!));
        expect(value()).toBeLessThan(before);
        // With one pair the DPO step moves along +∇h with a positive weight, so the margin must rise.
        problem.data = problem.data.slice(0, 1);
        const m0 = margin();
        const d2 = decomposedGradient(problem);
        problem.logits.data.forEach((v, k) => (problem.logits.data[k] = v - 0.01 * d2.dpo[0]!.data[k]!));
        expect(margin()).toBeGreaterThan(m0);
      }),
    );
  });

  it('the optimism gradient scales as α β; the DPO gradient does not depend on α', () => {
    fc.assert(
      fc.property(seedArb, betaArb, (seed, beta) => {
        const one = decomposedGradient(tabularProblem(seed, 1, beta));
        const three = decomposedGradient(tabularProblem(seed, 3, beta));
        const optOne = flattenGradients(one.optimism);
        const optThree = flattenGradients(three.optimism);
        optOne.forEach((v, k) => expect(optThree[k]).toBeCloseTo(3 * v, 12));
        expect(maxAbsDiff(flattenGradients(one.dpo), flattenGradients(three.dpo))).toBe(0);
        // the importance weights depend on β only through r̂/β = log πθ − log π_ref: the optimism gradient is β times a β-free vector
        const doubled = flattenGradients(decomposedGradient(tabularProblem(seed, 1, 2 * beta)).optimism);
        optOne.forEach((v, k) => expect(doubled[k]).toBeCloseTo(2 * v, 12));
      }),
    );
  });
});
