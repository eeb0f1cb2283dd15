/**
 * The prompt-context variant of the smooth bandit policy (policies/smooth.ts) and world (worlds/bandit.ts):
 * one context is the policy and world of before, bit for bit; features over the context line spread an
 * update to prompts of nearby contexts (and only then); greedy responses differ between prompts; every SELM
 * term's exact gradient passes float64 finite differences through the product features.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Generator, grad, narrow, noGrad, sub } from '../../src/autograd/index.js';
import { runAlgorithm, type AlgorithmConfig, type StepRecord } from '../../src/selm/algorithm.js';
import { SELM_TERMS, checkTerm, smoothContextCheckProblem } from '../../src/selm/gradcheck-suite.js';
import { SmoothPolicy, promptContext } from '../../src/selm/policies/smooth.js';
import { TrueRewardRanker } from '../../src/lab/judges.js';
import { DEFAULT_BANDIT_EXPERIMENT } from '../../src/lab/config.js';
import { runComparisonSeed } from '../../src/lab/exploration.js';
import { DEFAULT_BANDIT, banditPolicy, makeBanditWorld, type BanditConfig } from '../../src/lab/worlds/bandit.js';

const digest = (x: unknown): string => createHash('sha256').update(JSON.stringify(x)).digest('hex').slice(0, 16);

function worldDigest(config: BanditConfig, seed: number): string {
  const w = makeBanditWorld(config, seed);
  return digest([w.rewards, w.sftLogProbs, w.preferences, w.testPreferences, w.demonstrations, w.trainPrompts, w.testPrompts]);
}

function runDigest(config: BanditConfig, yRef: 'sample' | 'greedy'): string {
  const methods = [
    { name: 'dpo', alpha: 0, learningRate: 3, epochs: 4, yRefTemperature: 1 },
    { name: 'selm', alpha: 1, learningRate: 10, epochs: 4, yRefTemperature: 1 },
    // The tempered control samples y_ref whatever the mode (a change made with the variant): greedy runs leave it out.
    ...(yRef === 'sample' ? [{ name: 't', alpha: 0, learningRate: 3, epochs: 4, yRefTemperature: 2 }] : []),
  ];
  const algorithm = { ...DEFAULT_BANDIT_EXPERIMENT.algorithm, yRef };
  const result = runComparisonSeed(config, algorithm, methods, 3, { figure4: ['selm', 'dpo'], recordPolicies: true });
  // The transfer probe (transfer.ts) came later than the digests: everything else must be as before.
  return digest(JSON.parse(JSON.stringify(result, (key, value: unknown) => (key === 'transfer' ? undefined : value))));
}

const CONTEXT_WORLD: BanditConfig = { ...DEFAULT_BANDIT, featureWidth: 2, contexts: 6, contextWidth: 1, contextShift: 3 };

describe('the prompt-context variant', () => {
  // Digests of the worlds and of whole comparison runs (every metric, Figure 4, every π per iteration) as the
  // code before the prompt-context variant computed them (commit 65b26c8, the same script).
  it('one context reproduces the worlds and the runs of before bit for bit (digests of the code before the variant)', () => {
    expect({ 0: worldDigest(DEFAULT_BANDIT, 0), 1: worldDigest(DEFAULT_BANDIT, 1), 7: worldDigest(DEFAULT_BANDIT, 7) }).toEqual({
      0: 'aa00ec31a3fa4006',
      1: '8ab2a72c3861429f',
      7: '2c891012764a01a2',
    });
    expect({
      w0s: runDigest({ ...DEFAULT_BANDIT, featureWidth: 0 }, 'sample'),
      w0g: runDigest({ ...DEFAULT_BANDIT, featureWidth: 0 }, 'greedy'),
      w2s: runDigest({ ...DEFAULT_BANDIT, featureWidth: 2 }, 'sample'),
      w2g: runDigest({ ...DEFAULT_BANDIT, featureWidth: 2 }, 'greedy'),
    }).toEqual({ w0s: 'b4204d38a9da07cf', w0g: 'efe5ad2bbaf2adcc', w2s: 'b54afe8670100506', w2g: 'd6eca8ee5517f152' });
  });

  it('with one context, contextWidth and contextShift change nothing: the same world and the same Algorithm 1 run', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.constantFrom(0, 1, 2),
        fc.constantFrom(0.5, 1, 3),
        fc.constantFrom(1, 2, 4),
        (seed, featureWidth, contextWidth, contextShift) => {
          const plain: BanditConfig = { ...DEFAULT_BANDIT, featureWidth };
          const knobs: BanditConfig = { ...plain, contextWidth, contextShift };
          expect(worldDigest(knobs, seed)).toBe(worldDigest(plain, seed));
          const config: AlgorithmConfig = { ...DEFAULT_BANDIT_EXPERIMENT.algorithm, iterations: 2, epochs: 2, yRef: 'greedy' };
          expect(runAlgorithmDigest(knobs, seed, config)).toEqual(runAlgorithmDigest(plain, seed, config));
        },
      ),
      { numRuns: 8 },
    );
  });

  it('contexts share an update only when contextWidth > 0: a DPO-like step at one prompt moves the next context only then', () => {
    const world = makeBanditWorld(CONTEXT_WORLD, 2);
    for (const contextWidth of [0, 1]) {
      const p = new SmoothPolicy(world.sftLogProbs, { featureWidth: 2, contexts: 6, contextWidth });
      const prompt = [0, 2]; // task 0, context 2
      const lp = p.logProbs([prompt, prompt], [[8], [2]]);
      const [g] = grad(sub(narrow(lp, 0, 0, 1), narrow(lp, 0, 1, 1)), p.parameters());
      noGrad(() => p.theta.data.forEach((v, i) => (p.theta.data[i] = v + 0.5 * g!.data[i]!)));
      const moved = (q: number[]): number => {
        const after = p.responseLogProbs(q);
        return Math.max(...world.sftLogProbs[world.rowOf(q)]!.map((v, k) => Math.abs(after[k]! - v)));
      };
      expect(moved(prompt)).toBeGreaterThan(0.1);
      if (contextWidth === 0) expect(moved([0, 3])).toBeLessThan(1e-12);
      else expect(moved([0, 3])).toBeGreaterThan(0.05);
      expect(moved([1, 2]), 'another task never moves').toBeLessThan(1e-12);
    }
  });

  it("π_SFT's favourite and the best response move with the context, so greedy y_ref differs between prompts of a task", () => {
    const world = makeBanditWorld(CONTEXT_WORLD, 4);
    const policy = banditPolicy(world);
    const prompts = world.trainPrompts.filter((x) => x[0] === 0);
    const greedy = new Set(policy.generate(prompts, 'greedy', new Generator(1)).map((y) => y[0]));
    expect(greedy.size).toBeGreaterThan(1);
    const best = new Set(prompts.map((x) => world.rewards[world.rowOf(x)]!.indexOf(world.bestReward(x))));
    expect(best.size).toBeGreaterThan(1);
    // The context of a prompt is its instance mod contexts, in the policy and in the world alike.
    for (const x of world.trainPrompts) expect(world.rowOf(x)).toBe(x[0]! * 6 + promptContext(x, 6));
  });

  it('the tempered control samples y_ref even in a greedy study (a temperature acts only on samples)', () => {
    const algorithm = { ...DEFAULT_BANDIT_EXPERIMENT.algorithm, yRef: 'greedy' as const };
    const methods = [
      { name: 'dpo', alpha: 0, learningRate: 3, epochs: 4, yRefTemperature: 1 },
      { name: 'tempered', alpha: 0, learningRate: 3, epochs: 4, yRefTemperature: 3 },
    ];
    const r = runComparisonSeed(CONTEXT_WORLD, algorithm, methods, 5);
    const regret = (name: string): number[] => r.methods[name]!.slice(1).map((m) => m.yRefRegret);
    expect(regret('tempered')).not.toEqual(regret('dpo'));
  });

  it('every SELM term passes float64 finite differences through the context-by-response features (and context-only ones)', () => {
    for (const featureWidth of [1.5, 0]) {
      const problem = smoothContextCheckProblem(6, featureWidth);
      for (const term of SELM_TERMS) {
        const { result } = checkTerm(term, problem);
        expect(result.pass, `${term.name} (featureWidth ${featureWidth}): ${result.maxAbsError}`).toBe(true);
        const grads = grad(term.build(problem)(...problem.policy.params), problem.policy.params, { allowUnused: true });
        expect(Math.max(...Array.from(grads[0]!.data, Math.abs)), `${term.name} is not vacuous`).toBeGreaterThan(1e-3);
      }
    }
  });
});

function runAlgorithmDigest(config: BanditConfig, seed: number, algorithm: AlgorithmConfig): string {
  const world = makeBanditWorld(config, seed);
  const steps: StepRecord[] = [];
  const out = runAlgorithm(banditPolicy(world), world.preferences, new TrueRewardRanker(world.trueReward), algorithm, new Generator(seed), {
    onStep: (r) => steps.push(r),
  });
  return digest([Array.from(out.policy.parameters()[0]!.data), steps]);
}
