/**
 * The list of SELM terms whose gradients are checked against float64 finite differences (PyTorch's
 * gradcheck rule: |analytic − numeric| <= 1e-5 + 1e-3 |numeric|), on two finite problems:
 *  - 'tabular': a table of logits per prompt (3 prompts, 5 responses), full Jacobian check;
 *  - 'smooth': the bandit's RBF policy (policies/smooth.ts, width 1.5) over 3 tasks x 6 responses, full Jacobian;
 *  - 'smooth-context': its prompt-context variant, 2 tasks x 3 contexts x 6 responses, RBF over contexts and
 *    responses (or, with featureWidth 0, over contexts only), full Jacobian;
 *  - 'tiny-gpt': a 1-layer float64 GPT whose responses are every 2-token sequence over 3 tokens, checked in
 *    fast mode (random projections) with respect to all its parameters.
 * The `selm gradcheck` command prints these; the tests run the same cases.
 */
import { Generator, gradcheckReport, mean, noGrad, randn, type GradcheckReport, type Tensor } from '../autograd/index.js';
import { GPT } from '../nn/gpt.js';
import {
  dpoLoss,
  optimismTerms,
  selmLoss,
  type DpoOptions,
  type PreferenceLogps,
  type ReferenceResponseLogps,
  type SelmOptions,
} from './losses.js';
import { exactSelmLoss, tablePreferenceLogps, type TablePreference } from './objective.js';
import { withDecomposedGradient, type FinitePolicy, type FiniteSelmProblem } from './gradients.js';
import { SmoothPolicy, type SmoothPolicyOptions } from './policies/smooth.js';
import { enumerateResponses, frozen, modelLogProbTable, sampleResponses, tableEntries, tabularLogProbs } from './tabular.js';

export type ProblemName = 'tabular' | 'tiny-gpt' | 'smooth' | 'smooth-context';

/** A finite SELM problem plus fixed samples y_ref ~ π_ref (one per triple) for the batch-form terms. */
export interface CheckProblem extends FiniteSelmProblem {
  name: ProblemName;
  referenceResponses: number[];
  /** Fast mode (random projections) for problems with many parameters. */
  fastMode: boolean;
}

/** β and α for the checks: not special values, and α large enough that the optimism term matters. */
export const CHECK_BETA = 0.7;
export const CHECK_ALPHA = 0.3;

function randomData(X: number, Y: number, count: number, gen: Generator): TablePreference[] {
  return Array.from({ length: count }, (_, i) => {
    const chosen = gen.int(Y);
    const rejected = (chosen + 1 + gen.int(Y - 1)) % Y; // y_l ≠ y_w
    return { prompt: i % X, chosen, rejected };
  });
}

/**
 * Orients each pair so that the policy currently prefers the rejected response (h < 0): then the hinge is
 * active (1 − βh > 1) and the sigmoid is far from saturation, so no loss is checked on a flat region where
 * its gradient is trivially 0.
 */
function orient(policy: FinitePolicy, logReference: Tensor, data: TablePreference[]): TablePreference[] {
  const table = noGrad(() => policy.logProbTable());
  const Y = table.shape[1]!;
  const ratio = (x: number, y: number): number => table.data[x * Y + y]! - logReference.data[x * Y + y]!;
  return data.map((d) => (ratio(d.prompt, d.chosen) > ratio(d.prompt, d.rejected) ? { ...d, chosen: d.rejected, rejected: d.chosen } : d));
}

function finishProblem(
  name: ProblemName,
  policy: FinitePolicy,
  logReference: Tensor,
  data: TablePreference[],
  gen: Generator,
  fastMode: boolean,
): CheckProblem {
  const oriented = orient(policy, logReference, data);
  const referenceResponses = oriented.map((d) => sampleResponses(logReference, d.prompt, 1, gen)[0]!);
  return { name, policy, logReference, data: oriented, alpha: CHECK_ALPHA, beta: CHECK_BETA, referenceResponses, fastMode };
}

/** A tabular policy over 3 prompts x 5 responses, a different reference, and 4 preference triples. */
export function tabularCheckProblem(seed = 1): CheckProblem {
  const gen = new Generator(seed);
  const [X, Y] = [3, 5];
  const logits = randn([X, Y], { dtype: 'float64', generator: gen, requiresGrad: true });
  const refLogits = randn([X, Y], { dtype: 'float64', generator: gen });
  const policy: FinitePolicy = { params: [logits], logProbTable: () => tabularLogProbs(logits) };
  return finishProblem('tabular', policy, frozen(tabularLogProbs(refLogits)), randomData(X, Y, 4, gen), gen, false);
}

/**
 * The smooth bandit policy of policies/smooth.ts (3 tasks x 6 responses, RBF width 1.5) with random θ, a
 * reference from other random θ, and 4 triples: every term's gradient reaches θ through the features.
 */
export function smoothCheckProblem(seed = 5): CheckProblem {
  return smoothProblem('smooth', seed, 3, { featureWidth: 1.5 });
}

/**
 * The prompt-context variant: 2 tasks x 3 contexts (6 rows) x 6 responses, features over the context line
 * (width 1.2) times features over the response line (width 1.5, or none with `featureWidth` 0).
 */
export function smoothContextCheckProblem(seed = 6, featureWidth = 1.5): CheckProblem {
  return smoothProblem('smooth-context', seed, 6, { featureWidth, contexts: 3, contextWidth: 1.2 });
}

function smoothProblem(name: ProblemName, seed: number, rows: number, options: SmoothPolicyOptions): CheckProblem {
  const gen = new Generator(seed);
  const Y = 6;
  const sft = Array.from({ length: rows }, () => Array.from({ length: Y }, () => gen.normal()));
  const policy = new SmoothPolicy(sft, options);
  const reference = new SmoothPolicy(sft, options);
  noGrad(() => {
    policy.theta.data.forEach((_, i) => (policy.theta.data[i] = 0.7 * gen.normal()));
    reference.theta.data.forEach((_, i) => (reference.theta.data[i] = 0.7 * gen.normal()));
  });
  const finite: FinitePolicy = { params: policy.parameters(), logProbTable: () => policy.logProbTable() };
  return finishProblem(name, finite, frozen(noGrad(() => reference.logProbTable())), randomData(rows, Y, 4, gen), gen, false);
}

/** The tiny GPT of the enumerable problems: vocabulary 3, one layer, width 8, 6 positions, float64. */
export function tinyGpt(gen: Generator): GPT {
  return new GPT({ vocabSize: 3, contextLength: 6, width: 8, heads: 2, layers: 1, mlpRatio: 2, dtype: 'float64' }, gen);
}

/** Prompts of the tiny-GPT problems (2 tokens each) and the response space Y: all 3^2 two-token sequences. */
export const TINY_GPT_PROMPTS: readonly (readonly number[])[] = [
  [0, 1],
  [2, 2],
];
export const TINY_GPT_RESPONSES = enumerateResponses(3, 2);

/** A tiny GPT as a finite policy: its log-prob table over every enumerated response. */
export function gptPolicy(model: GPT, prompts = TINY_GPT_PROMPTS, responses = TINY_GPT_RESPONSES): FinitePolicy {
  return { params: model.parameters(), logProbTable: () => modelLogProbTable((ids) => model.forward(ids), prompts, responses) };
}

/**
 * A tiny GPT policy, a reference GPT (the policy's weights perturbed, so πθ ≠ π_ref), and 4 triples. The
 * initial weights are scaled up from nanoGPT's 0.02 so the policy is far from uniform and gradients are not tiny.
 */
export function tinyGptCheckProblem(seed = 2): CheckProblem {
  const gen = new Generator(seed);
  const model = tinyGpt(gen);
  for (const p of model.parameters()) if (p.ndim > 1) p.data.forEach((v, i) => (p.data[i] = v * 25));
  const reference = model.clone('float64');
  for (const p of reference.parameters()) p.data.forEach((v, i) => (p.data[i] = v + 0.3 * gen.normal()));
  const logReference = frozen(modelLogProbTable((ids) => reference.forward(ids), TINY_GPT_PROMPTS, TINY_GPT_RESPONSES));
  const data = randomData(TINY_GPT_PROMPTS.length, TINY_GPT_RESPONSES.length, 4, gen);
  return finishProblem('tiny-gpt', gptPolicy(model), logReference, data, gen, true);
}

/** The batch-form log-probs of a problem at its current parameters (y_ref from the fixed samples). */
export function problemLogps(problem: CheckProblem): { logps: PreferenceLogps; response: ReferenceResponseLogps } {
  const table = problem.policy.logProbTable();
  const xs = problem.data.map((d) => d.prompt);
  return {
    logps: tablePreferenceLogps(table, problem.logReference, problem.data),
    response: {
      policyResponse: tableEntries(table, xs, problem.referenceResponses),
      referenceResponse: tableEntries(problem.logReference, xs, problem.referenceResponses),
    },
  };
}

/** One SELM term: a scalar function of the problem's parameters. */
export interface SelmTerm {
  name: string;
  /** What the term is, for `--help` and reports. */
  description: string;
  build(problem: CheckProblem): (...params: Tensor[]) => Tensor;
}

function batchTerm(
  name: string,
  description: string,
  f: (l: PreferenceLogps, r: ReferenceResponseLogps, beta: number) => Tensor,
): SelmTerm {
  return {
    name,
    description,
    build: (problem) => () => {
      const { logps, response } = problemLogps(problem);
      return f(logps, response, problem.beta);
    },
  };
}

const dpo = (options: Omit<DpoOptions, 'beta'>) => (l: PreferenceLogps, _r: ReferenceResponseLogps, beta: number) =>
  dpoLoss(l, { ...options, beta });
const selm = (options: Omit<SelmOptions, 'beta' | 'alpha'>) => (l: PreferenceLogps, r: ReferenceResponseLogps, beta: number) =>
  selmLoss(l, r, { ...options, alpha: CHECK_ALPHA, beta });

/** Every SELM term the command and the tests check. */
export const SELM_TERMS: readonly SelmTerm[] = [
  batchTerm('dpo', 'DPO term: -log sigmoid(beta h), batch mean', dpo({ lossType: 'sigmoid' })),
  batchTerm('dpo-ipo', 'IPO variant: (h - 1/(2 beta))^2', dpo({ lossType: 'ipo' })),
  batchTerm('dpo-hinge', 'hinge variant: max(0, 1 - beta h)', dpo({ lossType: 'hinge' })),
  batchTerm('dpo-conservative', 'conservative DPO, label smoothing 0.1', dpo({ lossType: 'sigmoid', labelSmoothing: 0.1 })),
  batchTerm('optimism', 'optimism term of eq. (3.2): alpha beta log pi_theta(y_ref|x)', (_l, r, beta) =>
    mean(optimismTerms(r, { alpha: CHECK_ALPHA, beta })),
  ),
  batchTerm('optimism-authors', "authors' form: alpha beta (log pi_theta - log pi_ref)(y_ref|x)", (_l, r, beta) =>
    mean(optimismTerms(r, { alpha: CHECK_ALPHA, beta, optimismForm: 'authors' })),
  ),
  batchTerm('selm', 'SELM loss (3.2): DPO + optimism', selm({})),
  batchTerm('selm-authors', "SELM loss with the authors' optimism form", selm({ optimismForm: 'authors' })),
  batchTerm('selm-ipo', 'SELM with the IPO variant', selm({ lossType: 'ipo' })),
  batchTerm('selm-hinge', 'SELM with the hinge variant', selm({ lossType: 'hinge' })),
  batchTerm('selm-conservative', 'SELM with conservative DPO (label smoothing 0.1)', selm({ labelSmoothing: 0.1 })),
  {
    name: 'selm-exact',
    description: 'SELM loss (3.2) with E_{y~pi_ref} enumerated over Y',
    build: (problem) => () => exactSelmLoss(problem.policy.logProbTable(), problem.logReference, problem.data, problem),
  },
  {
    name: 'eq3.3-dpo-weights',
    description: 'first line of (3.3): gradient through sigma(r_l - r_w) weights',
    build: (p) => withDecomposedGradient(p, 'dpo'),
  },
  {
    name: 'eq3.3-optimism-is',
    description: 'second line of (3.3): gradient through exp(-r/beta) weights, y ~ pi_theta',
    build: (p) => withDecomposedGradient(p, 'optimism'),
  },
  { name: 'eq3.3-total', description: 'eq. (3.3): both lines together', build: (p) => withDecomposedGradient(p, 'total') },
];

export interface GradcheckResult {
  term: string;
  problem: ProblemName;
  maxAbsError: number;
  maxRelError: number;
  pass: boolean;
}

/** Runs one term on one problem through `gradcheckReport`. */
export function checkTerm(term: SelmTerm, problem: CheckProblem): { result: GradcheckResult; report: GradcheckReport } {
  const report = gradcheckReport(term.build(problem), problem.policy.params, { fastMode: problem.fastMode, seed: 7 });
  return {
    result: { term: term.name, problem: problem.name, maxAbsError: report.maxAbsError, maxRelError: report.maxRelError, pass: report.ok },
    report,
  };
}

/** Every term on every requested problem. */
export function runSelmGradchecks(
  problems: readonly ProblemName[] = ['tabular', 'tiny-gpt'],
  terms: readonly SelmTerm[] = SELM_TERMS,
): GradcheckResult[] {
  const builders: Record<ProblemName, () => CheckProblem> = {
    tabular: tabularCheckProblem,
    smooth: smoothCheckProblem,
    'smooth-context': smoothContextCheckProblem,
    'tiny-gpt': tinyGptCheckProblem,
  };
  const built = problems.map((name) => builders[name]());
  return built.flatMap((problem) => terms.map((term) => checkTerm(term, problem).result));
}
