/**
 * The worlds have the properties they claim: a local optimum near the demonstrations, a better optimum away
 * from them, a reference (SFT) policy whose expected r* is well below the best, and best responses that are
 * rare under it but not impossible.
 */
import { describe, expect, it } from 'vitest';
import { Generator, noGrad } from '../../src/autograd/index.js';
import { runSft } from '../../src/selm/algorithm.js';
import { defaultsFor } from '../../src/lab/config.js';
import { parsePreferencesJsonl, preferencesToJsonl } from '../../src/lab/data.js';
import { buildWorld, initialPolicy } from '../../src/lab/runner.js';
import { DEFAULT_BANDIT, makeBanditWorld } from '../../src/lab/worlds/bandit.js';
import { DEFAULT_LANGUAGE, editDistance, makeLanguageWorld } from '../../src/lab/worlds/language.js';
import { TabularPolicy } from '../../src/selm/policies/tabular.js';

describe('bandit world', () => {
  const world = makeBanditWorld(DEFAULT_BANDIT, 0);

  it('has two hills: the demonstrations sit on the lower one, π_SFT puts only refMassOnBest near the higher', () => {
    for (let g = 0; g < DEFAULT_BANDIT.tasks; g++) {
      const rewards = world.rewards[g]!;
      const probs = world.sftLogProbs[g]!.map(Math.exp);
      expect(Math.max(...rewards)).toBeCloseTo(2, 12);
      const mode = probs.indexOf(Math.max(...probs));
      expect(rewards[mode]).toBeCloseTo(1, 12); // the SFT mode is the local optimum
      const best = rewards.indexOf(Math.max(...rewards));
      expect(probs[best]!).toBeGreaterThan(0);
      expect(probs[best]!).toBeLessThan(0.02); // rare but possible
      const expected = probs.reduce((a, p, k) => a + p * rewards[k]!, 0);
      expect(expected).toBeLessThan(0.6 * 2); // well below the best achievable
    }
  });

  it('the tabular policy gives the same log-probs through logProbs and responseLogProbs, and sums to 1', () => {
    const policy = new TabularPolicy(world.sftLogProbs);
    const x = world.testPrompts[1]!;
    const exact = policy.responseLogProbs(x);
    const viaTable = noGrad(() =>
      policy.logProbs(
        Array.from(exact, () => x),
        Array.from(exact, (_, k) => [k]),
      ),
    );
    Array.from(viaTable.data).forEach((v, k) => expect(v).toBeCloseTo(exact[k]!, 12));
    expect(Array.from(exact).reduce((a, v) => a + Math.exp(v), 0)).toBeCloseTo(1, 12);
  });

  it('splits prompts into disjoint train and test instances, and round-trips its text forms', () => {
    const key = (p: readonly number[]): string => p.join();
    const train = new Set(world.trainPrompts.map(key));
    expect(world.testPrompts.some((p) => train.has(key(p)))).toBe(false);
    const text = preferencesToJsonl(world.preferences.slice(0, 5), world);
    expect(parsePreferencesJsonl(text, world, 'mem')).toEqual(world.preferences.slice(0, 5));
  });
});

describe('language world', () => {
  const world = makeLanguageWorld(DEFAULT_LANGUAGE, 0);
  const x = world.testPrompts[0]!;

  it("r* has a local optimum at the demonstrators' answer, a valley, and the best response away from it", () => {
    const demo = world.demoResponse(x);
    const best = world.bestResponse(x);
    expect(world.trueReward(x, demo)).toBe(1);
    expect(world.trueReward(x, best)).toBe(2);
    expect(editDistance(demo.slice(0, -1), best.slice(0, -1))).toBe(3);
    // One step from the demonstration towards the best response goes down before it goes up.
    const step1 = [best[0]!, best[1]!, 2];
    const step2 = [best[0]!, best[1]!, best[2]!, 2];
    expect(world.trueReward(x, step1)).toBeLessThan(1);
    expect(world.trueReward(x, step2)).toBeGreaterThan(1);
    // A response cut off before its EOS is worth nothing.
    expect(world.trueReward(x, demo.slice(0, -1))).toBe(0);
  });

  it('the demonstrator mostly gives the local optimum and the held-out prompts are unseen', () => {
    const rewards = world.demonstrations.map((d) => world.trueReward(d.prompt, d.response));
    const share = rewards.filter((r) => r === 1).length / rewards.length;
    expect(share).toBeGreaterThan(0.4);
    expect(Math.max(...rewards)).toBeLessThan(2);
    const train = new Set(world.trainPrompts.map((p) => p.join()));
    expect(world.testPrompts.every((p) => !train.has(p.join()))).toBe(true);
  });

  it("under the demo's SFT model, expected r* is well below the best and the best responses are rare but possible", () => {
    const config = defaultsFor('language');
    const w = buildWorld(config, 0);
    const policy = initialPolicy(config, w, 0);
    runSft(policy, w.demonstrations, config.sft, new Generator(1));
    const gen = new Generator(2);
    const rewards: number[] = [];
    for (let s = 0; s < 8; s++)
      policy.generate(w.testPrompts, 'sample', gen).forEach((y, i) => rewards.push(w.trueReward(w.testPrompts[i]!, y)));
    const mean = rewards.reduce((a, b) => a + b, 0) / rewards.length;
    const se = Math.sqrt(rewards.reduce((a, r) => a + (r - mean) ** 2, 0) / (rewards.length - 1) / rewards.length);
    expect(mean + 4 * se).toBeLessThan(0.65 * 2);
    const lw = w as ReturnType<typeof makeLanguageWorld>;
    const logp = noGrad(() =>
      policy.logProbs(
        w.testPrompts,
        w.testPrompts.map((p) => lw.bestResponse(p)),
      ),
    );
    for (const lp of Array.from(logp.data)) {
      expect(lp).toBeGreaterThan(Math.log(1e-8)); // possible: sampling can find it
      expect(lp).toBeLessThan(Math.log(0.05)); // rare: the SFT model rarely produces it
    }
  });
});
