import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { grad, gradcheckReport, mean, type Tensor } from '../../src/autograd/index.js';
import {
  dpoLoss,
  dpoLosses,
  optimismTerms,
  preferenceLogits,
  selmLoss,
  selmLosses,
  type DpoLossType,
  type PreferenceLogps,
  type SelmOptions,
} from '../../src/selm/index.js';
import { alphaArb, betaArb, f64, logpsArb } from './fixtures.js';

const B = 3;
/** Six log-prob vectors: policy/reference for chosen, rejected and y_ref. */
const batchArb = fc.tuple(logpsArb(B), logpsArb(B), logpsArb(B), logpsArb(B), logpsArb(B), logpsArb(B));
type Batch = [number[], number[], number[], number[], number[], number[]];

function build(
  b: Batch,
  requiresGrad = false,
): { logps: PreferenceLogps; response: { policyResponse: Tensor; referenceResponse: Tensor }; inputs: Tensor[] } {
  const inputs = b.map((v) => f64(v, requiresGrad));
  const [pc, pr, rc, rr, pResp, rResp] = inputs as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];
  return {
    logps: { policyChosen: pc, policyRejected: pr, referenceChosen: rc, referenceRejected: rr },
    response: { policyResponse: pResp, referenceResponse: rResp },
    inputs,
  };
}

const VARIANTS: { name: string; lossType: DpoLossType; labelSmoothing?: number }[] = [
  { name: 'sigmoid (DPO)', lossType: 'sigmoid' },
  { name: 'conservative DPO', lossType: 'sigmoid', labelSmoothing: 0.2 },
  { name: 'IPO', lossType: 'ipo' },
  { name: 'hinge', lossType: 'hinge' },
];

describe('regression table of hand-computed losses', () => {
  // Each row: inputs (policy chosen, policy rejected, ref chosen, ref rejected, policy y_ref, ref y_ref), options,
  // and the value with how it was computed (Python's math module, printed with repr, pasted here).
  const rows: { what: string; input: Batch; options: SelmOptions; expected: number }[] = [
    {
      what: 'DPO, β=0.1, h=(−1+2)−(−1.5+1.5)=1: −log σ(0.1) = log1p(exp(−0.1))',
      input: [[-1], [-2], [-1.5], [-1.5], [-3], [-2.5]],
      options: { beta: 0.1, alpha: 0 },
      expected: 0.6443966600735709,
    },
    {
      what: 'SELM paper form, same pair, α=0.01, log πθ(y_ref)=−3: 0.6443966600735709 + 0.01·0.1·(−3)',
      input: [[-1], [-2], [-1.5], [-1.5], [-3], [-2.5]],
      options: { beta: 0.1, alpha: 0.01 },
      expected: 0.6413966600735709,
    },
    {
      what: "SELM authors' form, same pair: 0.6443966600735709 + 0.01·0.1·(−3 − (−2.5)) = … − 0.0005",
      input: [[-1], [-2], [-1.5], [-1.5], [-3], [-2.5]],
      options: { beta: 0.1, alpha: 0.01, optimismForm: 'authors' },
      expected: 0.6443966600735709 - 0.0005,
    },
    {
      what: 'DPO, β=1, h=(−3+1)−(−1+1)=−2: log1p(exp(2))',
      input: [[-3], [-1], [-1], [-1], [-1], [-1]],
      options: { beta: 1, alpha: 0 },
      expected: 2.1269280110429727,
    },
    {
      what: "πθ = π_ref (start of an iteration): h=0, DPO = log 2, authors' optimism = 0",
      input: [[-2], [-4], [-2], [-4], [-3], [-3]],
      options: { beta: 0.3, alpha: 5, optimismForm: 'authors' },
      expected: Math.LN2,
    },
    {
      what: 'conservative DPO ε=0.1, β=1, h=0.5: 0.9·log1p(exp(−0.5)) + 0.1·log1p(exp(0.5))',
      input: [[-1], [-1.5], [-2], [-2], [-1], [-1]],
      options: { beta: 1, alpha: 0, labelSmoothing: 0.1 },
      expected: 0.5240769841801067,
    },
    {
      what: 'IPO, β=0.5, h=2: (2 − 1/(2·0.5))² = 1',
      input: [[-1], [-3], [-2], [-2], [-1], [-1]],
      options: { beta: 0.5, alpha: 0, lossType: 'ipo' },
      expected: 1,
    },
    {
      what: 'hinge, β=0.5, h=1: max(0, 1 − 0.5) = 0.5',
      input: [[-1], [-2], [-2], [-2], [-1], [-1]],
      options: { beta: 0.5, alpha: 0, lossType: 'hinge' },
      expected: 0.5,
    },
    {
      what: 'batch of two at β=0.1: h=1 and h=(−3+1)−0=−2, so the mean of log1p(exp(−0.1)) and log1p(exp(0.2))',
      input: [
        [-1, -3],
        [-2, -1],
        [-1.5, -1],
        [-1.5, -1],
        [-3, -3],
        [-2.5, -2.5],
      ],
      options: { beta: 0.1, alpha: 0 },
      expected: (0.6443966600735709 + Math.log1p(Math.exp(0.2))) / 2,
    },
  ];
  it.each(rows)('$what', ({ input, options, expected }) => {
    const { logps, response } = build(input);
    expect(selmLoss(logps, response, options).item()).toBeCloseTo(expected, 14);
  });
});

describe('DPO and its variants (TRL formulas)', () => {
  it('sigmoid DPO is −log σ(β h) with β h = r̂(y_w) − r̂(y_l); cDPO is (1−ε) ℓ(h) + ε ℓ(−h)', () => {
    fc.assert(
      fc.property(batchArb, betaArb, fc.integer({ min: 1, max: 5 }), (b, beta, e) => {
        const { logps } = build(b as Batch);
        const h = preferenceLogits(logps).data;
        const eps = e / 10;
        const plain = dpoLosses(logps, { beta }).data;
        const smooth = dpoLosses(logps, { beta, labelSmoothing: eps }).data;
        const softplus = (z: number): number => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
        h.forEach((hi, i) => {
          expect(plain[i]).toBeCloseTo(softplus(-beta * hi), 12);
          expect(smooth[i]).toBeCloseTo((1 - eps) * softplus(-beta * hi) + eps * softplus(beta * hi), 12);
        });
      }),
    );
  });

  it('IPO is minimised (zero) at h = 1/(2β); hinge is zero once β h ≥ 1', () => {
    const at = (h: number, beta: number, lossType: DpoLossType): number =>
      dpoLoss(
        { policyChosen: f64([h]), policyRejected: f64([0]), referenceChosen: f64([0]), referenceRejected: f64([0]) },
        { beta, lossType },
      ).item();
    expect(at(1 / (2 * 0.25), 0.25, 'ipo')).toBe(0);
    expect(at(1 / (2 * 0.25) + 0.1, 0.25, 'ipo')).toBeGreaterThan(0);
    expect(at(4, 0.25, 'hinge')).toBe(0);
    expect(at(3.9, 0.25, 'hinge')).toBeGreaterThan(0);
  });

  it('rejects label smoothing outside the sigmoid loss and a non-positive β', () => {
    const { logps } = build([[-1], [-2], [-1], [-1], [-1], [-1]]);
    expect(() => dpoLosses(logps, { beta: 0.1, lossType: 'ipo', labelSmoothing: 0.1 })).toThrow(/sigmoid loss only/);
    expect(() => dpoLosses(logps, { beta: 0 })).toThrow(/beta must be a positive/);
    expect(() => optimismTerms({ policyResponse: f64([-1]) }, { alpha: 1, beta: 1, optimismForm: 'authors' })).toThrow(/referenceResponse/);
  });
});

describe('SELM loss, eq. (3.2)', () => {
  it('α = 0 gives the DPO loss exactly (bit-identical values, every variant)', () => {
    fc.assert(
      fc.property(batchArb, betaArb, fc.constantFrom(...VARIANTS), (b, beta, v) => {
        const { logps, response } = build(b as Batch);
        const options = { beta, lossType: v.lossType, labelSmoothing: v.labelSmoothing ?? 0 };
        const dpo = dpoLosses(logps, options).data;
        const selm = selmLosses(logps, response, { ...options, alpha: 0 }).data;
        dpo.forEach((d, i) => expect(Object.is(selm[i], d)).toBe(true));
        expect(Object.is(selmLoss(logps, response, { ...options, alpha: 0 }).item(), dpoLoss(logps, options).item())).toBe(true);
      }),
    );
  });

  it('is the DPO loss plus α β log πθ(y_ref|x) (paper) or α β (log πθ − log π_ref)(y_ref|x) (authors), per example', () => {
    fc.assert(
      fc.property(batchArb, betaArb, alphaArb, (b, beta, alpha) => {
        const { logps, response } = build(b as Batch);
        const dpo = dpoLosses(logps, { beta }).data;
        const paper = selmLosses(logps, response, { beta, alpha }).data;
        const authors = selmLosses(logps, response, { beta, alpha, optimismForm: 'authors' }).data;
        dpo.forEach((d, i) => {
          expect(paper[i]).toBeCloseTo(d + alpha * beta * b[4]![i]!, 12);
          expect(authors[i]).toBeCloseTo(d + alpha * beta * (b[4]![i]! - b[5]![i]!), 12);
        });
      }),
    );
  });

  it('terms scale as documented: loss/optimism is linear in α and in β; the DPO part does not depend on α', () => {
    fc.assert(
      fc.property(logpsArb(B), betaArb, alphaArb, (resp, beta, alpha) => {
        const r = { policyResponse: f64(resp) };
        const base = mean(optimismTerms(r, { alpha, beta })).item();
        expect(mean(optimismTerms(r, { alpha: 2 * alpha, beta })).item()).toBeCloseTo(2 * base, 12);
        expect(mean(optimismTerms(r, { alpha, beta: 3 * beta })).item()).toBeCloseTo(3 * base, 12);
        expect(base).toBeCloseTo((alpha * beta * resp.reduce((s, v) => s + v, 0)) / B, 12);
      }),
    );
  });

  it("the paper's and the authors' optimism forms have the same gradient in the policy's log-probs", () => {
    fc.assert(
      fc.property(
        batchArb,
        betaArb,
        alphaArb.filter((a) => a > 0),
        (b, beta, alpha) => {
          const paper = build(b as Batch, true);
          const authors = build(b as Batch, true);
          const gp = grad(selmLoss(paper.logps, paper.response, { beta, alpha }), paper.inputs.slice(0, 5));
          const ga = grad(selmLoss(authors.logps, authors.response, { beta, alpha, optimismForm: 'authors' }), authors.inputs.slice(0, 5));
          gp.forEach((g, k) => g!.data.forEach((v, i) => expect(v).toBeCloseTo(ga[k]!.data[i]!, 14)));
          // and the optimism part's gradient in log πθ(y_ref) is α β / B, whatever the values
          gp[4]!.data.forEach((v) => expect(v).toBeCloseTo((alpha * beta) / B, 14));
        },
      ),
    );
  });
});

describe('gradcheck of every loss and variant with respect to its log-prob inputs', () => {
  const cases = [
    ...VARIANTS.map((v) => ({
      name: `DPO ${v.name}`,
      alpha: 0,
      lossType: v.lossType,
      labelSmoothing: v.labelSmoothing ?? 0,
      optimismForm: 'paper' as const,
    })),
    ...VARIANTS.map((v) => ({
      name: `SELM ${v.name}`,
      alpha: 0.7,
      lossType: v.lossType,
      labelSmoothing: v.labelSmoothing ?? 0,
      optimismForm: 'paper' as const,
    })),
    { name: "SELM authors' form", alpha: 0.7, lossType: 'sigmoid' as const, labelSmoothing: 0, optimismForm: 'authors' as const },
  ];
  it.each(cases)('$name: per-example losses and their mean', (c) => {
    fc.assert(
      fc.property(batchArb, betaArb, (b, beta) => {
        const options = { beta, alpha: c.alpha, lossType: c.lossType, labelSmoothing: c.labelSmoothing, optimismForm: c.optimismForm };
        const { inputs } = build(b as Batch, true);
        // hinge has a kink at β h = 1: the grid can land on it, where finite differences straddle the kink.
        const { logps } = build(b as Batch);
        const h = preferenceLogits(logps).data;
        fc.pre(c.lossType !== 'hinge' || h.every((v) => Math.abs(1 - beta * v) > 1e-4));
        const fn = (...xs: Tensor[]): Tensor[] => {
          const [pc, pr, rc, rr, ps, rs] = xs as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];
          const l = { policyChosen: pc, policyRejected: pr, referenceChosen: rc, referenceRejected: rr };
          const r = { policyResponse: ps, referenceResponse: rs };
          return [selmLosses(l, r, options), selmLoss(l, r, options)];
        };
        const report = gradcheckReport(fn, c.alpha === 0 ? inputs.slice(0, 4) : inputs);
        expect(report.problems).toEqual([]);
        expect(report.ok).toBe(true);
      }),
      { numRuns: 10 },
    );
  });
});
