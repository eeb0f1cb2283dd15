/**
 * `selm tour`: a short walk through the engine for a newcomer. It builds a tiny computation, differentiates
 * it, and checks a handful of ops against finite differences, printing what each step means.
 */
import {
  Generator,
  crossEntropy,
  gradcheckReport,
  layerNorm,
  logsigmoid,
  matmul,
  randn,
  softmax,
  sum,
  tanh,
  mul,
  tensor,
  type Tensor,
} from '../../autograd/index.js';
import { runSelmTour } from '../tour-selm.js';
import { flag, parse } from '../args.js';
import { printResult } from '../output.js';

export const TOUR_USAGE = `usage: selm tour [--json]

A two-second tour of the autograd engine: one backward pass, then finite-difference checks of a few ops.
Exit code 1 if any check fails.

options:
  --json      print one JSON result record whose results are {op, what, maxAbsError, pass} (see README,
              Commands)
  -h, --help  this help`;

interface TourCase {
  name: string;
  what: string;
  fn: (...xs: Tensor[]) => Tensor;
  shapes: number[][];
}

const CASES: TourCase[] = [
  {
    name: 'matmul',
    what: 'batched matrix product',
    fn: (a, b) => matmul(a!, b!),
    shapes: [
      [2, 3, 4],
      [4, 5],
    ],
  },
  { name: 'tanh', what: 'elementwise nonlinearity', fn: (a) => tanh(a!), shapes: [[3, 4]] },
  { name: 'softmax', what: 'max-subtracted softmax over the last axis', fn: (a) => softmax(a!, -1), shapes: [[3, 5]] },
  {
    name: 'layerNorm',
    what: 'layer normalisation with weight and bias',
    fn: (a, w, b) => layerNorm(a!, w!, b!),
    shapes: [[2, 6], [6], [6]],
  },
  { name: 'crossEntropy', what: 'next-token loss from logits', fn: (a) => crossEntropy(a!, [1, 0, 3]), shapes: [[3, 4]] },
  { name: 'logsigmoid', what: 'the DPO loss is -logsigmoid(margin)', fn: (a) => logsigmoid(a!), shapes: [[7]] },
];

/** One row per op: its float64 gradient check on seeded random inputs. */
function checkOps(): { op: string; what: string; maxAbsError: number; pass: boolean }[] {
  const gen = new Generator(7);
  return CASES.map((c) => {
    const inputs = c.shapes.map((s) => randn(s, { dtype: 'float64', requiresGrad: true, generator: gen }));
    const report = gradcheckReport(c.fn, inputs);
    return { op: c.name, what: c.what, maxAbsError: report.maxAbsError, pass: report.ok };
  });
}

export async function runTourCommand(argv: string[]): Promise<number> {
  const p = parse('tour', argv, { json: { type: 'boolean' } });
  if (flag(p, 'help')) {
    console.log(TOUR_USAGE);
    return 0;
  }
  if (flag(p, 'json')) {
    const results = checkOps();
    const ok = results.every((r) => r.pass);
    printResult('tour', { ok, results });
    return ok ? 0 : 1;
  }
  console.log('selm-ts: a laboratory for Self-Exploring Language Models, built on its own autograd engine.\n');
  const x = tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
  const y = sum(mul(x, x));
  y.backward();
  console.log('1. Reverse-mode autodiff: y = sum(x * x) at x = [1, 2, 3]');
  console.log(`   y = ${y.item()}, dy/dx = ${JSON.stringify(x.grad!.toArray())} (expected 2x = [2, 4, 6])\n`);

  console.log('2. Every gradient is checked against central finite differences in float64');
  console.log('   (eps 1e-6; pass when |analytic - numeric| <= 1e-5 + 1e-3 |numeric|, as PyTorch gradcheck):\n');
  const checks = checkOps();
  let failures = checks.filter((r) => !r.pass).length;
  const rows: string[][] = [
    ['op', 'what it is', 'max abs error', 'result'],
    ...checks.map((r) => [r.op, r.what, r.maxAbsError.toExponential(2), r.pass ? 'pass' : 'FAIL']),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const [k, r] of rows.entries()) {
    console.log(`   ${r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')}`);
    if (k === 0) console.log(`   ${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  }
  console.log('');
  failures += runSelmTour((line) => console.log(line));
  console.log(`\n${failures === 0 ? 'All checks passed.' : `${failures} check(s) FAILED.`} Run \`npm test\` for the full suite.`);
  return failures === 0 ? 0 : 1;
}
