/**
 * The smooth bandit policy (policies/smooth.ts): width 0 is the table bit for bit, the features spread an update
 * to neighbouring responses, and every SELM term's exact gradient passes float64 finite differences through it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Generator, grad, narrow, noGrad, sub } from '../../src/autograd/index.js';
import { DEFAULT_ALGORITHM, runAlgorithm, type AlgorithmConfig, type StepRecord } from '../../src/selm/algorithm.js';
import { SELM_TERMS, checkTerm, smoothCheckProblem } from '../../src/selm/gradcheck-suite.js';
import { SmoothPolicy, rbfFeatures } from '../../src/selm/policies/smooth.js';
import { TabularPolicy } from '../../src/selm/policies/tabular.js';
import { TrueRewardRanker } from '../../src/lab/judges.js';
import { DEFAULT_BANDIT, makeBanditWorld } from '../../src/lab/worlds/bandit.js';

function run(policy: TabularPolicy | SmoothPolicy, seed: number, config: AlgorithmConfig): { logits: number[]; steps: StepRecord[] } {
  const world = makeBanditWorld(DEFAULT_BANDIT, seed);
  const steps: StepRecord[] = [];
  const out = runAlgorithm(policy, world.preferences, new TrueRewardRanker(world.trueReward), config, new Generator(seed + 11), {
    onStep: (r) => steps.push(r),
  });
  return { logits: Array.from(out.policy.parameters()[0]!.data), steps };
}

describe('SmoothPolicy', () => {
  it('width 0 reproduces the table bit for bit: Algorithm 1 ends with the same logits and the same step records', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.constantFrom<'adamw' | 'sgd'>('adamw', 'sgd'),
        fc.constantFrom(0, 0.5, 3),
        (seed, optimizer, alpha) => {
          const world = makeBanditWorld(DEFAULT_BANDIT, seed);
          const config: AlgorithmConfig = {
            ...DEFAULT_ALGORITHM,
            alpha,
            beta: 0.5,
            learningRates: optimizer === 'sgd' ? 3 : 0.05,
            optimizer,
            iterations: 2,
            epochs: 2,
          };
          const table = run(new TabularPolicy(world.sftLogProbs), seed, config);
          const smooth = run(new SmoothPolicy(world.sftLogProbs, { featureWidth: 0 }), seed, config);
          expect(smooth.logits).toEqual(table.logits);
          expect(smooth.steps).toEqual(table.steps);
        },
      ),
      { numRuns: 6 },
    );
  });

  it('starts at π_SFT at every width', () => {
    const world = makeBanditWorld(DEFAULT_BANDIT, 3);
    for (const w of [0, 1, 2, 3]) {
      const p = new SmoothPolicy(world.sftLogProbs, { featureWidth: w });
      for (let g = 0; g < DEFAULT_BANDIT.tasks; g++) {
        const lp = p.responseLogProbs([g, 0]);
        world.sftLogProbs[g]!.forEach((v, k) => expect(lp[k]!).toBeCloseTo(v, 12));
      }
    }
  });

  it('generalises: a DPO-like step (raise log π(y_w) − log π(y_l)) moves unseen responses unequally only when width > 0', () => {
    const world = makeBanditWorld(DEFAULT_BANDIT, 1);
    for (const w of [0, 2]) {
      const p = new SmoothPolicy(world.sftLogProbs, { featureWidth: w });
      const lp = p.logProbs(
        [
          [0, 0],
          [0, 0],
        ],
        [[6], [2]],
      );
      const [g] = grad(sub(narrow(lp, 0, 0, 1), narrow(lp, 0, 1, 1)), p.parameters());
      noGrad(() => p.theta.data.forEach((v, i) => (p.theta.data[i] = v + 0.5 * g!.data[i]!)));
      const before = world.sftLogProbs[0]!;
      const after = p.responseLogProbs([0, 0]);
      const neighbourGain = after[7]! - before[7]!;
      const farGain = after[11]! - before[11]!;
      // In the table y_w − y_l's gradient is e_w − e_l: every unseen response keeps one common ratio to π_SFT;
      // with features the neighbour of y_w gains on a response far from both.
      if (w === 0) expect(neighbourGain).toBeCloseTo(farGain, 12);
      else expect(neighbourGain - farGain).toBeGreaterThan(0.1);
    }
  });

  it('every SELM term passes float64 finite differences through the RBF features', () => {
    const problem = smoothCheckProblem();
    for (const term of SELM_TERMS) {
      const { result } = checkTerm(term, problem);
      expect(result.pass, `${term.name}: ${result.maxAbsError}`).toBe(true);
      const grads = grad(term.build(problem)(...problem.policy.params), problem.policy.params, { allowUnused: true });
      expect(Math.max(...Array.from(grads[0]!.data, Math.abs)), `${term.name} is not vacuous`).toBeGreaterThan(1e-3);
    }
  });

  it('rbfFeatures is symmetric with a unit diagonal, the identity at width 0', () => {
    const phi = rbfFeatures(5, 1.5);
    for (let k = 0; k < 5; k++) for (let j = 0; j < 5; j++) expect(phi.data[k * 5 + j]).toBe(phi.data[j * 5 + k]);
    expect(Array.from(rbfFeatures(3, 0).data)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  });

  it('sampleTemperature flattens sampled responses but not log-probs or greedy ones; clone keeps it', () => {
    const world = makeBanditWorld(DEFAULT_BANDIT, 2);
    const hot = new SmoothPolicy(world.sftLogProbs, { featureWidth: 1, sampleTemperature: 4 }).clone();
    const cold = new SmoothPolicy(world.sftLogProbs, { featureWidth: 1 });
    const prompts = Array.from({ length: 2000 }, () => [0, 0]);
    const far = (ys: readonly (readonly number[])[]): number => ys.filter((y) => y[0]! >= DEFAULT_BANDIT.responses / 2).length;
    expect(far(hot.generate(prompts, 'sample', new Generator(1)))).toBeGreaterThan(
      2 * far(cold.generate(prompts, 'sample', new Generator(1))),
    );
    expect(hot.generate([[0, 0]], 'greedy', new Generator(1))).toEqual(cold.generate([[0, 0]], 'greedy', new Generator(1)));
    expect(Array.from(hot.responseLogProbs([0, 0]))).toEqual(Array.from(cold.responseLogProbs([0, 0])));
  });
});
