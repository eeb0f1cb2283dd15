/**
 * The checks of "The gradient, proven": a few engine ops and the SELM terms on the tabular problem of the
 * library's suite, each compared with float64 central differences by `gradcheckReport` (PyTorch's rule:
 * |analytic − numeric| <= 1e-5 + 1e-3 |numeric|, eps 1e-6). Pure: no DOM, so tests can run it in Node too.
 */
import {
  Generator,
  crossEntropy,
  gradcheckReport,
  layerNorm,
  logSoftmax,
  logsigmoid,
  logsumexp,
  matmul,
  mul,
  randn,
  sum,
  tanh,
  type GradcheckReport,
  type Tensor,
} from '../src/autograd/index.js';
import { SELM_TERMS, checkTerm, tabularCheckProblem } from '../src/selm/gradcheck-suite.js';

export interface CheckRow {
  name: string;
  what: string;
  group: 'engine op' | 'SELM term';
  maxAbsError: number;
  maxRelError: number;
  pass: boolean;
}

interface OpCase {
  name: string;
  what: string;
  shapes: number[][];
  fn: (...xs: Tensor[]) => Tensor;
}

/** Weights that make every output element count differently (a plain sum can hide a wrong rule, e.g. for softmax). */
function weights(shape: number[]): Tensor {
  return randn(shape, { dtype: 'float64', generator: new Generator(99) });
}

const OP_CASES: readonly OpCase[] = [
  {
    name: 'matmul → tanh',
    what: 'Σ tanh(x w), x [3,4], w [4,2]',
    shapes: [
      [3, 4],
      [4, 2],
    ],
    fn: (x, w) => sum(tanh(matmul(x!, w!))),
  },
  {
    name: 'logSoftmax',
    what: 'Σ c ⊙ log softmax(x) over rows, [3,5]',
    shapes: [[3, 5]],
    fn: (x) => sum(mul(logSoftmax(x!), weights([3, 5]))),
  },
  { name: 'logsumexp', what: 'Σ c ⊙ logsumexp(x) per row, [4,6]', shapes: [[4, 6]], fn: (x) => sum(mul(logsumexp(x!), weights([4]))) },
  {
    name: 'logsigmoid',
    what: 'Σ c ⊙ log σ(x), [6] (the DPO loss is built from it)',
    shapes: [[6]],
    fn: (x) => sum(mul(logsigmoid(x!), weights([6]))),
  },
  {
    name: 'layerNorm',
    what: 'Σ c ⊙ layerNorm(x; w, b), [3,4]',
    shapes: [[3, 4], [4], [4]],
    fn: (x, w, b) => sum(mul(layerNorm(x!, w!, b!), weights([3, 4]))),
  },
  { name: 'crossEntropy', what: 'mean −log softmax(x)[target], [3,5]', shapes: [[3, 5]], fn: (x) => crossEntropy(x!, [0, 4, 2]) },
];

/**
 * The SELM terms shown (of the suite's 15): the loss (3.2), its two parts, and (3.3) through its weights, each
 * with a line for the learner (the suite's own descriptions are ASCII, for terminals).
 */
export const PAGE_SELM_TERMS: Readonly<Record<string, string>> = {
  dpo: 'DPO loss −log σ(r̂(y_w) − r̂(y_l)), batch mean',
  optimism: 'optimism term αβ log πθ(y_ref|x), y_ref ~ π_ref (eq. 3.2)',
  selm: 'SELM loss (3.2): DPO + optimism',
  'selm-exact': 'SELM loss (3.2), E over y ~ π_ref summed exactly over Y',
  'eq3.3-dpo-weights': '(3.3) line 1: DPO gradient through the weights σ(r̂(y_l) − r̂(y_w))',
  'eq3.3-optimism-is': '(3.3) line 2: optimism gradient through exp(−r̂/β), y ~ πθ',
  'eq3.3-total': '(3.3): both lines together',
};

function row(name: string, what: string, group: CheckRow['group'], report: GradcheckReport): CheckRow {
  return { name, what, group, maxAbsError: report.maxAbsError, maxRelError: report.maxRelError, pass: report.ok };
}

export function runOpChecks(): CheckRow[] {
  const gen = new Generator(5);
  return OP_CASES.map((c) => {
    const inputs = c.shapes.map((shape) => randn(shape, { dtype: 'float64', generator: gen, requiresGrad: true }));
    return row(c.name, c.what, 'engine op', gradcheckReport(c.fn, inputs, { seed: 7 }));
  });
}

export function runSelmChecks(): CheckRow[] {
  const problem = tabularCheckProblem();
  return Object.entries(PAGE_SELM_TERMS).map(([name, what]) => {
    const term = SELM_TERMS.find((t) => t.name === name);
    if (!term) throw new Error(`gradcheck panel: the suite has no term '${name}'`);
    return row(term.name, what, 'SELM term', checkTerm(term, problem).report);
  });
}
