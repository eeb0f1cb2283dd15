/**
 * `selm gradcheck`: checks the gradient of every SELM term (the DPO term and its variants, the optimism term
 * in both forms, the SELM loss, and eq. (3.3) through its σ and exp(−r̂/β) weights) against float64 finite
 * differences, on a tabular policy and on an enumerable tiny GPT. Exits 1 if any check fails.
 */
import { runSelmGradchecks, SELM_TERMS, type GradcheckResult, type ProblemName } from '../../selm/gradcheck-suite.js';

const PROBLEMS: readonly ProblemName[] = ['tabular', 'tiny-gpt'];

function usage(): string {
  const width = Math.max(...SELM_TERMS.map((t) => t.name.length));
  const terms = SELM_TERMS.map((t) => `  ${t.name.padEnd(width)}  ${t.description}`).join('\n');
  return [
    'usage: selm gradcheck [--json] [--problem tabular|tiny-gpt] [--term NAME]',
    '',
    'Checks each SELM term\'s gradient against central finite differences in float64 (eps 1e-6; pass when',
    '|analytic - numeric| <= 1e-5 + 1e-3 |numeric|, PyTorch gradcheck\'s rule) and prints the worst error.',
    'Problems: tabular (3 prompts x 5 responses, logits per prompt, full Jacobian) and tiny-gpt (a 1-layer',
    'float64 GPT over every 2-token response, all parameters, fast mode). Exit code 1 if any check fails.',
    '',
    'options:',
    '  --json           print a JSON array of {term, problem, maxAbsError, maxRelError, pass}',
    '  --problem NAME   only this problem (repeatable)',
    '  --term NAME      only this term (repeatable)',
    '',
    'terms:',
    terms,
  ].join('\n');
}

function table(results: readonly GradcheckResult[]): string {
  const rows = [['term', 'problem', 'max abs error', 'max rel error', 'result']];
  for (const r of results) rows.push([r.term, r.problem, r.maxAbsError.toExponential(2), r.maxRelError.toExponential(2), r.pass ? 'pass' : 'FAIL']);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

export async function runGradcheckCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage());
    return 0;
  }
  let json = false;
  const problems: ProblemName[] = [];
  const termNames: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--json') json = true;
    else if (arg === '--problem' || arg === '--term') {
      const value = argv[++i];
      if (value === undefined) {
        console.error(`selm gradcheck: ${arg} needs a value\n\n${usage()}`);
        return 2;
      }
      if (arg === '--problem') {
        if (!PROBLEMS.includes(value as ProblemName)) {
          console.error(`selm gradcheck: unknown problem '${value}' (expected ${PROBLEMS.join(' or ')})`);
          return 2;
        }
        problems.push(value as ProblemName);
      } else {
        if (!SELM_TERMS.some((t) => t.name === value)) {
          console.error(`selm gradcheck: unknown term '${value}'; see --help for the list`);
          return 2;
        }
        termNames.push(value);
      }
    } else {
      console.error(`selm gradcheck: unknown option '${arg}'\n\n${usage()}`);
      return 2;
    }
  }
  const terms = termNames.length > 0 ? SELM_TERMS.filter((t) => termNames.includes(t.name)) : SELM_TERMS;
  const results = runSelmGradchecks(problems.length > 0 ? problems : PROBLEMS, terms);
  const failures = results.filter((r) => !r.pass).length;
  if (json) {
    console.log(JSON.stringify(results, null, 2));
  } else {
    console.log('SELM gradient checks: analytic gradient vs float64 central finite differences\n');
    console.log(table(results));
    console.log(`\n${results.length - failures} of ${results.length} checks pass${failures > 0 ? `; ${failures} FAIL` : ''}.`);
    if (results.some((r) => r.pass && r.maxRelError > 1e-3)) {
      console.log(
        'A passing row with a large relative error has a tiny absolute one: it comes from an entry whose true derivative\n' +
          'is 0 (a DPO-type loss depends on a prompt\'s logits only through log pi(y_w) - log pi(y_l), so the logits of the\n' +
          'other responses have derivative exactly 0), where the finite difference is rounding noise.',
      );
    }
  }
  return failures > 0 ? 1 : 0;
}
