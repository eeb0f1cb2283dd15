import { describe, expect, it } from 'vitest';
import { preferenceMetrics } from '../../src/selm/index.js';
import { f64 } from './fixtures.js';

describe('preference metrics (TRL names)', () => {
  // Two pairs, β = 0.5. Rewards by hand: r̂ = β (policy − reference).
  //   chosen:   0.5·(−1 − −2) = 0.5,   0.5·(−3 − −2) = −0.5   -> mean 0
  //   rejected: 0.5·(−2 − −2) = 0,     0.5·(−1 − −3) = 1      -> mean 0.5
  //   accuracies: 0.5 > 0 yes, −0.5 > 1 no -> 0.5;  margins: (0.5 − 0 + (−0.5 − 1)) / 2 = −0.5
  //   DPO: β h = r̂_w − r̂_l = 0.5 and −1.5 -> (log1p(exp(−0.5)) + log1p(exp(1.5))) / 2
  //   optimism (α = 2, paper form): 2·0.5·mean(−4, −6) = −5
  const logps = {
    policyChosen: f64([-1, -3]),
    policyRejected: f64([-2, -1]),
    referenceChosen: f64([-2, -2]),
    referenceRejected: f64([-2, -3]),
  };
  const response = { policyResponse: f64([-4, -6]), referenceResponse: f64([-5, -5]) };

  it('match hand-computed values', () => {
    const m = preferenceMetrics(logps, response, { beta: 0.5, alpha: 2 });
    expect(m['rewards/chosen']).toBeCloseTo(0, 15);
    expect(m['rewards/rejected']).toBeCloseTo(0.5, 15);
    expect(m['rewards/accuracies']).toBe(0.5);
    expect(m['rewards/margins']).toBeCloseTo(-0.5, 15);
    expect(m['logps/chosen']).toBe(-2);
    expect(m['logps/rejected']).toBe(-1.5);
    expect(m['logps/pi_response']).toBe(-5);
    expect(m['logps/ref_response']).toBe(-5);
    const dpo = (Math.log1p(Math.exp(-0.5)) + Math.log1p(Math.exp(1.5))) / 2;
    expect(m['loss/dpo']).toBeCloseTo(dpo, 14);
    expect(m['loss/optimism']).toBeCloseTo(-5, 14);
    expect(m.loss).toBeCloseTo(dpo - 5, 14);
  });

  it("use the authors' form when asked, and report no optimism without y_ref or with α = 0", () => {
    expect(preferenceMetrics(logps, response, { beta: 0.5, alpha: 2, optimismForm: 'authors' })['loss/optimism']).toBeCloseTo(0, 14);
    const none = preferenceMetrics(logps, undefined, { beta: 0.5, alpha: 2 });
    expect(none['loss/optimism']).toBe(0);
    expect(none['logps/pi_response']).toBeUndefined();
    expect(preferenceMetrics(logps, response, { beta: 0.5 })['loss/optimism']).toBe(0);
  });

  it("carry exactly the names of TRL and the authors' trainer, plus loss/dpo and loss/optimism", () => {
    expect(Object.keys(preferenceMetrics(logps, response, { beta: 0.5, alpha: 1 })).sort()).toEqual(
      [
        'loss',
        'loss/dpo',
        'loss/optimism',
        'logps/chosen',
        'logps/pi_response',
        'logps/ref_response',
        'logps/rejected',
        'rewards/accuracies',
        'rewards/chosen',
        'rewards/margins',
        'rewards/rejected',
      ].sort(),
    );
  });
});
