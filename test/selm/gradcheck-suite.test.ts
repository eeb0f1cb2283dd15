import { describe, expect, it } from 'vitest';
import { apply, grad, gradcheckReport, mul, noGrad, tensor, type Rule } from '../../src/autograd/index.js';
import { decomposedGradient, exactOptimismTerm } from '../../src/selm/index.js';
import { SELM_TERMS, checkTerm, runSelmGradchecks, tabularCheckProblem, tinyGptCheckProblem } from '../../src/selm/gradcheck-suite.js';

describe('the SELM gradcheck suite', () => {
  it('every term passes on the tabular problem and on the tiny GPT', () => {
    const results = runSelmGradchecks();
    expect(results).toHaveLength(2 * SELM_TERMS.length);
    const failed = results.filter((r) => !r.pass);
    expect(failed).toEqual([]);
    for (const r of results) expect(r.maxAbsError).toBeLessThan(1e-6);
  });

  it('no check is vacuous: every term has a gradient of size > 1e-3 on both problems', () => {
    for (const problem of [tabularCheckProblem(), tinyGptCheckProblem()]) {
      for (const term of SELM_TERMS) {
        const grads = grad(term.build(problem)(...problem.policy.params), problem.policy.params, { allowUnused: true });
        const largest = Math.max(...grads.flatMap((g) => (g ? Array.from(g.data, Math.abs) : [0])));
        expect(largest, `${term.name} on ${problem.name}`).toBeGreaterThan(1e-3);
      }
    }
  });

  it('catches a wrong gradient: the optimism term with its importance weight inverted (πθ/π_ref instead of π_ref/πθ) fails', () => {
    const problem = tabularCheckProblem(3);
    // A "decomposition" that uses exp(+r̂/β): the backward scales the optimism coefficients by (πθ/π_ref)^2.
    const rule: Rule<Record<string, never>> = {
      name: 'wrong-importance-weight',
      forward: () => ({
        data: noGrad(() => exactOptimismTerm(problem.policy.logProbTable(), problem.logReference, problem.data, problem)).data.slice(),
        shape: [],
      }),
      backward: (g) => {
        const table = noGrad(() => problem.policy.logProbTable());
        const d = decomposedGradient(problem);
        const ratio2 = table.data.map((l, k) => Math.exp(2 * (l - problem.logReference.data[k]!)));
        const probs = table.data.map(Math.exp);
        const [X, Y] = table.shape as [number, number];
        const out = new Float64Array(X * Y);
        for (let x = 0; x < X; x++) {
          let mass = 0;
          for (let y = 0; y < Y; y++) mass += d.coefficients.optimism[x * Y + y]! * ratio2[x * Y + y]!;
          for (let y = 0; y < Y; y++) out[x * Y + y] = d.coefficients.optimism[x * Y + y]! * ratio2[x * Y + y]! - mass * probs[x * Y + y]!;
        }
        return [mul(g, tensor(out, { shape: [X, Y] }))];
      },
    };
    const report = gradcheckReport(() => apply(rule, problem.policy.params, {}), problem.policy.params);
    expect(report.ok).toBe(false);
  });

  it('checkTerm reports the worst errors of gradcheckReport for a term', () => {
    const { result, report } = checkTerm(SELM_TERMS[0]!, tinyGptCheckProblem());
    expect(result).toEqual({
      term: 'dpo',
      problem: 'tiny-gpt',
      maxAbsError: report.maxAbsError,
      maxRelError: report.maxRelError,
      pass: true,
    });
  });
});
