/**
 * `selm gradcheck`: checks the gradient of every SELM term (the DPO term and its variants, the optimism term
 * in both forms, the SELM loss, and eq. (3.3) through its σ and exp(−r̂/β) weights) against float64 finite
 * differences, on a tabular policy and on an enumerable tiny GPT. Exits 1 if any check fails.
 */
import { runSelmGradchecks, SELM_TERMS, type GradcheckResult, type ProblemName } from '../../selm/gradcheck-suite.js';
import { flag, listOption, parse, UsageError } from '../args.js';
import { printResult } from '../output.js';

const PROBLEMS: readonly ProblemName[] = ['tabular', 'tiny-gpt'];

function usage(): string {
  const width = Math.max(...SELM_TERMS.map((t) => t.name.length));
  const terms = SELM_TERMS.map((t) => `  ${t.name.padEnd(width)}  ${t.description}`).join('\n');
  return [
    'usage: selm gradcheck [--json] [--problem tabular|tiny-gpt] [--term NAME]',
    '',
    "Checks each SELM term's gradient against central finite differences in float64 (eps 1e-6; pass when",
    "|analytic - numeric| <= 1e-5 + 1e-3 |numeric|, PyTorch gradcheck's rule) and prints the worst error.",
    'Problems: tabular (3 prompts x 5 responses, logits per prompt, full Jacobian) and tiny-gpt (a 1-layer',
    'float64 GPT over every 2-token response, all parameters, fast mode). Exit code 1 if any check fails.',
    '',
    'options:',
    '  --json           print one JSON result record whose results are {term, problem, maxAbsError,',
    '                   maxRelError, pass} (see README, Commands)',
    '  --problem NAME   only this problem (repeatable)',
    '  --term NAME      only this term (repeatable)',
    '  -h, --help       this help',
    '',
    'terms:',
    terms,
  ].join('\n');
}

function table(results: readonly GradcheckResult[]): string {
  const rows = [['term', 'problem', 'max abs error', 'max rel error', 'result']];
  for (const r of results)
    rows.push([r.term, r.problem, r.maxAbsError.toExponential(2), r.maxRelError.toExponential(2), r.pass ? 'pass' : 'FAIL']);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export async function runGradcheckCommand(argv: string[]): Promise<number> {
  const p = parse('gradcheck', argv, {
    json: { type: 'boolean' },
    problem: { type: 'string', multiple: true },
    term: { type: 'string', multiple: true },
  });
  if (flag(p, 'help')) {
    console.log(usage());
    return 0;
  }
  const json = flag(p, 'json');
  const problems = listOption(p, 'problem').map((name): ProblemName => {
    const problem = PROBLEMS.find((known) => known === name);
    if (problem === undefined) throw new UsageError(`selm gradcheck: unknown problem '${name}' (expected ${PROBLEMS.join(' or ')})`);
    return problem;
  });
  const termNames = listOption(p, 'term');
  for (const term of termNames) {
    if (!SELM_TERMS.some((t) => t.name === term)) throw new UsageError(`selm gradcheck: unknown term '${term}'; see --help for the list`);
  }
  const terms = termNames.length > 0 ? SELM_TERMS.filter((t) => termNames.includes(t.name)) : SELM_TERMS;
  const results = runSelmGradchecks(problems.length > 0 ? problems : PROBLEMS, terms);
  const failures = results.filter((r) => !r.pass).length;
  if (json) {
    printResult('gradcheck', { ok: failures === 0, results });
  } else {
    console.log('SELM gradient checks: analytic gradient vs float64 central finite differences\n');
    console.log(table(results));
    console.log(`\n${results.length - failures} of ${results.length} checks pass${failures > 0 ? `; ${failures} FAIL` : ''}.`);
    if (results.some((r) => r.pass && r.maxRelError > 1e-3)) {
      console.log(
        'A passing row with a large relative error has a tiny absolute one: it comes from an entry whose true derivative\n' +
          "is 0 (a DPO-type loss depends on a prompt's logits only through log pi(y_w) - log pi(y_l), so the logits of the\n" +
          'other responses have derivative exactly 0), where the finite difference is rounding noise.',
      );
    }
  }
  return failures > 0 ? 1 : 0;
}
