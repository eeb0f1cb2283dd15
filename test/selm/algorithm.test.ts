/**
 * Algorithm 1 on the bandit world, against hand-traced steps: the data update keeps the best and the worst of
 * {y_w, y_l, y_ref}, the portions are disjoint, π_ref is replaced by πθ after every iteration, and α = 0 is
 * exactly iterative DPO.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Generator, type Tensor, logsigmoid, mean, mul, neg, sub } from '../../src/autograd/index.js';
import {
  DEFAULT_ALGORITHM,
  NonFiniteLossError,
  permutation,
  runAlgorithm,
  runSft,
  splitPortions,
  trainIteration,
  updatePreferences,
  type AlgorithmConfig,
  type TrainingTriple,
} from '../../src/selm/algorithm.js';
import { TrueRewardRanker } from '../../src/lab/judges.js';
import type { Ranker } from '../../src/selm/rankers.js';
import { DEFAULT_BANDIT, makeBanditWorld } from '../../src/lab/worlds/bandit.js';
import { TabularPolicy } from '../../src/selm/policies/tabular.js';
import type { Policy } from '../../src/selm/policy.js';
import type { Preference, Tokens } from '../../src/selm/types.js';

/** Plain SGD, one constant learning rate, no clipping: every update can be traced by hand. */
const SGD_CONFIG: AlgorithmConfig = {
  ...DEFAULT_ALGORITHM,
  optimizer: 'sgd',
  gradClip: 0,
  warmupRatio: 0,
  decay: 'constant',
  epochs: 1,
  optimismForm: 'paper',
};

const ranks = (rewards: number[]): Ranker => new TrueRewardRanker((_x, y) => rewards[y[0]!]!);

describe('the data update (step 3)', () => {
  it('keeps the best of {y_w, y_l, y_ref} as chosen and the worst as rejected', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 6, maxLength: 6 }),
        fc.array(fc.tuple(fc.nat(5), fc.nat(5), fc.nat(5)), { minLength: 1, maxLength: 8 }),
        (rewards, triples) => {
          const portion: Preference[] = triples.map(([w, l]) => ({ prompt: [0, 0], chosen: [w], rejected: [l] }));
          const yRefs = triples.map(([, , r]) => [r]);
          const updated = updatePreferences(portion, yRefs, ranks(rewards), 'best-worst');
          updated.forEach((u, i) => {
            const [w, l, r] = triples[i]!;
            const values = [rewards[w]!, rewards[l]!, rewards[r]!];
            expect(rewards[u.chosen[0]!]).toBe(Math.max(...values));
            expect(rewards[u.rejected[0]!]).toBe(Math.min(...values));
            expect(u.yRef).toEqual([r]);
          });
        },
      ),
    );
  });

  it('breaks ties by the documented rule: the given order [y_w, y_l, y_ref] stands', () => {
    // All three tie: y_w stays chosen, y_ref (last) becomes rejected.
    const [u] = updatePreferences([{ prompt: [0, 0], chosen: [1], rejected: [2] }], [[3]], ranks([0, 1, 1, 1]), 'best-worst');
    expect(u!.chosen).toEqual([1]);
    expect(u!.rejected).toEqual([3]);
    // y_ref ties with y_w at the top: the offline chosen response is kept.
    const [v] = updatePreferences([{ prompt: [0, 0], chosen: [1], rejected: [2] }], [[3]], ranks([0, 5, 0, 5]), 'best-worst');
    expect(v!.chosen).toEqual([1]);
    expect(v!.rejected).toEqual([2]);
  });

  it("appendix C's alternative rule replaces the chosen response when y_ref beats y_w, the rejected one otherwise", () => {
    const rewards = [0, 2, 1, 3, 0.5];
    const portion = [{ prompt: [0, 0], chosen: [1], rejected: [2] }];
    expect(updatePreferences(portion, [[3]], ranks(rewards), 'replace')[0]).toMatchObject({ chosen: [3], rejected: [2] });
    expect(updatePreferences(portion, [[4]], ranks(rewards), 'replace')[0]).toMatchObject({ chosen: [1], rejected: [4] });
  });
});

describe("the 'replace' rule's tie y_ref = y_w", () => {
  it('keeps the triple as (y_w, y_w): its DPO term has zero gradient, its optimism term does not', () => {
    const rewards = [0, 2, 1];
    const [u] = updatePreferences([{ prompt: [0, 0], chosen: [1], rejected: [2] }], [[1]], ranks(rewards), 'replace');
    expect(u).toEqual({ prompt: [0, 0], chosen: [1], rejected: [1], yRef: [1] });
    const policy = new TabularPolicy(makeBanditWorld(DEFAULT_BANDIT, 0).sftLogProbs);
    const [logits] = policy.parameters();
    const gradOf = (loss: Tensor): number[] => {
      logits!.grad = null;
      loss.backward();
      return Array.from(logits!.grad!.data);
    };
    const beta = 0.5;
    const lp = (): Tensor => policy.logProbs([u!.prompt], [u!.chosen]);
    const ref = lp().detach();
    // −log σ(β((log π(y_w) − log π_ref(y_w)) − (log π(y_w) − log π_ref(y_w)))): constant in θ.
    const dpo = neg(mean(logsigmoid(mul(sub(sub(lp(), ref), sub(lp(), ref)), beta))));
    expect(gradOf(dpo).every((g) => g === 0)).toBe(true);
    // The optimism term α β log π(y_ref|x) (eq. 3.3's 'paper' form) still moves πθ.
    expect(gradOf(mul(mean(lp()), 0.1 * beta)).some((g) => g !== 0)).toBe(true);
  });
});

describe('SFT batches', () => {
  it('come from one permutation per epoch, the next drawn only when the current cannot fill a batch', () => {
    // 4 demonstrations, batches of 2, 4 steps: two epochs, so exactly two permutations are drawn.
    const demos = [0, 1, 2, 3].map((y) => ({ prompt: [0], response: [y] }));
    const policy = new TabularPolicy([[0, 0, 0, 0]]);
    const seen: number[][] = [];
    const logProbs = policy.logProbs.bind(policy);
    policy.logProbs = (prompts, responses) => {
      seen.push(responses.map((r) => r[0]!));
      return logProbs(prompts, responses);
    };
    const generator = new Generator(5);
    runSft(policy, demos, { steps: 4, batchSize: 2, lr: 1e-3, warmupRatio: 0 }, generator);
    const expected = new Generator(5);
    const first = permutation(4, expected);
    const second = permutation(4, expected);
    expect(seen).toEqual([first.slice(0, 2), first.slice(2), second.slice(0, 2), second.slice(2)]);
    // Nothing more was drawn: the generator continues exactly where two permutations leave it (an eager refill
    // at order.length == batchSize would give the same batches but a third permutation, shifting every later draw).
    expect(generator.random()).toBe(expected.random());
  });
});

describe('portions', () => {
  it('are disjoint, in order, cover D and differ in size by at most one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 6 }), (n, t) => {
        fc.pre(n >= t);
        const data = Array.from({ length: n }, (_, i) => i);
        const portions = splitPortions(data, t);
        expect(portions).toHaveLength(t);
        expect(portions.flat()).toEqual(data);
        const sizes = portions.map((p) => p.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('refuses more portions than triples', () => {
    expect(() => splitPortions([1, 2], 3)).toThrow(/cannot fill 3 portions/);
  });
});

describe('one training step, traced by hand (tabular policy, SGD)', () => {
  // One prompt (task 0), four responses, uniform π = π_ref, so every log-ratio starts at 0.
  const start = (): TabularPolicy => new TabularPolicy([[0, 0, 0, 0]]);
  const triple: TrainingTriple = { prompt: [0, 0], chosen: [1], rejected: [2], yRef: [3] };

  it('DPO (α = 0) moves θ_w up and θ_l down by lr·β·σ(0) and nothing else', () => {
    const policy = start();
    const lr = 0.5;
    const beta = 0.2;
    trainIteration(policy, start(), [triple], { ...SGD_CONFIG, beta }, new Generator(0), { iteration: 1, alpha: 0, peakLr: lr });
    // dL/dθ = −β σ(−β h) (e_w − e_l) with h = 0: the softmax normaliser cancels between y_w and y_l.
    expect(Array.from(policy.logits.data)).toEqual([0, lr * beta * 0.5, -lr * beta * 0.5, 0]);
  });

  it('gradClip below 1 clips too: the DPO step shrinks to norm lr·gradClip (to 1e-6), and grad_norm logs the norm before clipping', () => {
    const policy = start();
    const lr = 0.5;
    const beta = 0.2;
    const gradClip = 0.05;
    const norms: number[] = [];
    trainIteration(policy, start(), [triple], { ...SGD_CONFIG, beta, gradClip }, new Generator(0), {
      iteration: 1,
      alpha: 0,
      peakLr: lr,
      onStep: (r) => norms.push(r.grad_norm),
    });
    const norm = beta * 0.5 * Math.SQRT2; // |−β σ(0) (e_w − e_l)|
    const step = (lr * beta * 0.5 * gradClip) / (norm + 1e-6); // PyTorch's clip_grad_norm_ coefficient
    expect(norms[0]).toBeCloseTo(norm, 15);
    Array.from(policy.logits.data).forEach((v, k) => expect(v).toBeCloseTo([0, step, -step, 0][k]!, 15));
  });

  it('SELM adds −lr·α·β·(e_ref − π) from the optimism term of eq. (3.2)', () => {
    const policy = start();
    const lr = 0.5;
    const beta = 0.2;
    const alpha = 0.3;
    trainIteration(policy, start(), [triple], { ...SGD_CONFIG, beta }, new Generator(0), { iteration: 1, alpha, peakLr: lr });
    const pi = 0.25;
    const dpo = [0, lr * beta * 0.5, -lr * beta * 0.5, 0];
    const optimism = [0, 1, 2, 3].map((k) => -lr * alpha * beta * ((k === 3 ? 1 : 0) - pi));
    Array.from(policy.logits.data).forEach((v, k) => expect(v).toBeCloseTo(dpo[k]! + optimism[k]!, 15));
  });

  it('stops on a non-finite loss, naming the step and the term, before updating anything', () => {
    const broken = start();
    broken.logits.data[1] = Number.NaN;
    const before = Array.from(broken.logits.data);
    let error: unknown;
    try {
      trainIteration(broken, start(), [triple], SGD_CONFIG, new Generator(0), { iteration: 2, alpha: 0.1, peakLr: 0.1 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NonFiniteLossError);
    expect((error as NonFiniteLossError).message).toMatch(/non-finite loss\/dpo \(NaN\) at iteration 2, step 0/);
    expect(Array.from(broken.logits.data)).toEqual(before);
  });
});

/** A hand-rolled iterative DPO (the baseline as section 5.1 describes it), independent of the driver. */
function iterativeDpo(
  start: TabularPolicy,
  data: readonly Preference[],
  rewards: (x: Tokens, y: Tokens) => number,
  config: AlgorithmConfig,
  seed: number,
): number[][] {
  const generator = new Generator(seed);
  const ranker = new TrueRewardRanker(rewards);
  const T = config.iterations;
  let policy = start.clone();
  const snapshots: number[][] = [];
  for (let t = 0; t < T; t++) {
    const portion = data.slice(Math.floor((t * data.length) / T), Math.floor(((t + 1) * data.length) / T));
    const reference = policy.clone();
    const yRefs = reference.generate(
      portion.map((p) => p.prompt),
      config.yRef,
      generator,
    );
    const updated = portion.map((p, i) => {
      const c = [p.chosen, p.rejected, yRefs[i]!];
      const o = ranker.rank(p.prompt, c);
      return { prompt: p.prompt, chosen: c[o[0]!]!, rejected: c[o[2]!]! };
    });
    const lr = config.learningRates as number;
    for (let e = 0; e < config.epochs; e++) {
      // The same shuffle the driver draws (Fisher–Yates from the same generator).
      const order = updated.map((_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = generator.int(i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      for (let s = 0; s < order.length; s += config.batchSize) {
        const batch = order.slice(s, s + config.batchSize).map((i) => updated[i]!);
        const x = batch.map((b) => b.prompt);
        const pw = policy.logProbs(
          x,
          batch.map((b) => b.chosen),
        );
        const pl = policy.logProbs(
          x,
          batch.map((b) => b.rejected),
        );
        const rw = reference
          .logProbs(
            x,
            batch.map((b) => b.chosen),
          )
          .detach();
        const rl = reference
          .logProbs(
            x,
            batch.map((b) => b.rejected),
          )
          .detach();
        const loss = mean(neg(logsigmoid(mul(sub(sub(pw, pl), sub(rw, rl)), config.beta))));
        policy.logits.grad = null;
        loss.backward();
        const g = policy.logits.grad as Tensor | null;
        if (g) policy.logits.data.forEach((v, k) => (policy.logits.data[k] = v - lr * g.data[k]!));
      }
    }
    snapshots.push(Array.from(policy.logits.data));
    policy = policy.clone();
  }
  return snapshots;
}

describe('Algorithm 1 on the bandit world', () => {
  const world = makeBanditWorld({ ...DEFAULT_BANDIT, tasks: 2, responses: 8, trainPromptsPerTask: 12 }, 3);
  const config: AlgorithmConfig = { ...SGD_CONFIG, iterations: 3, batchSize: 4, epochs: 2, learningRates: 0.7, beta: 0.5, yRef: 'sample' };

  it('α = 0 is exactly iterative DPO (a hand-rolled loop agrees to 1e-12; only the order of float additions differs)', () => {
    const start = new TabularPolicy(world.sftLogProbs);
    const snapshots: number[][] = [];
    runAlgorithm(start, world.preferences, new TrueRewardRanker(world.trueReward), { ...config, alpha: 0 }, new Generator(11), {
      onIterationEnd: ({ policy }) => snapshots.push(Array.from((policy as TabularPolicy).logits.data)),
    });
    const expected = iterativeDpo(start, world.preferences, world.trueReward, config, 11);
    expect(snapshots).toHaveLength(3);
    snapshots.forEach((row, t) => row.forEach((v, k) => expect(Math.abs(v - expected[t]![k]!)).toBeLessThan(1e-12)));
    // And the loop really moved the policy: the comparison is not between two copies of the start.
    expect(Math.max(...snapshots[2]!.map((v, k) => Math.abs(v - start.logits.data[k]!)))).toBeGreaterThan(0.1);
  });

  it('trains iteration t on portion t only, and replaces π_ref by πθ after every iteration', () => {
    const start = new TabularPolicy(world.sftLogProbs);
    const seen: { iteration: number; prompts: Tokens[]; reference: number[]; policy: number[] }[] = [];
    runAlgorithm(start, world.preferences, new TrueRewardRanker(world.trueReward), { ...config, alpha: 0.2 }, new Generator(5), {
      onIterationEnd: ({ iteration, policy, reference, data }) =>
        seen.push({
          iteration,
          prompts: data.map((d) => d.prompt),
          reference: Array.from((reference as TabularPolicy).logits.data),
          policy: Array.from((policy as TabularPolicy).logits.data),
        }),
    });
    const portions = splitPortions(world.preferences, 3);
    expect(seen.map((s) => s.iteration)).toEqual([1, 2, 3]);
    seen.forEach((s, t) => expect(s.prompts).toEqual(portions[t]!.map((p) => p.prompt)));
    expect(seen[0]!.reference).toEqual(Array.from(start.logits.data));
    expect(seen[1]!.reference).toEqual(seen[0]!.policy);
    expect(seen[2]!.reference).toEqual(seen[1]!.policy);
    expect(seen[2]!.policy).not.toEqual(seen[1]!.policy);
  });

  it('the Zephyr recipe first trains plain DPO on the offline labels of the first of T + 1 portions', () => {
    const start = new TabularPolicy(world.sftLogProbs);
    const seen: { iteration: number; data: readonly TrainingTriple[] }[] = [];
    runAlgorithm(
      start,
      world.preferences,
      new TrueRewardRanker(world.trueReward),
      { ...config, zephyr: true, alpha: 0.2 },
      new Generator(5),
      {
        onIterationEnd: ({ iteration, data }) => seen.push({ iteration, data }),
      },
    );
    const portions = splitPortions(world.preferences, 4);
    expect(seen.map((s) => s.iteration)).toEqual([0, 1, 2, 3]);
    expect(seen[0]!.data).toEqual(portions[0]!.map((p) => ({ ...p, yRef: null })));
    expect(seen[1]!.data.every((d) => d.yRef !== null)).toBe(true);
  });

  it('resuming from a checkpointed iteration with the saved generator state reproduces the run', () => {
    const start = new TabularPolicy(world.sftLogProbs);
    const states: { policy: Policy; generator: number[] }[] = [];
    const full: number[][] = [];
    const generator = new Generator(9);
    runAlgorithm(start, world.preferences, new TrueRewardRanker(world.trueReward), { ...config, alpha: 0.2 }, generator, {
      onIterationEnd: ({ policy }) => {
        states.push({ policy: policy.clone(), generator: generator.getState() });
        full.push(Array.from((policy as TabularPolicy).logits.data));
      },
    });
    const resumed: number[][] = [];
    runAlgorithm(
      states[0]!.policy,
      world.preferences,
      new TrueRewardRanker(world.trueReward),
      { ...config, alpha: 0.2 },
      new Generator(0).setState(states[0]!.generator),
      {
        onIterationEnd: ({ policy }) => resumed.push(Array.from((policy as TabularPolicy).logits.data)),
      },
      2,
    );
    expect(resumed).toEqual(full.slice(1));
  });
});
