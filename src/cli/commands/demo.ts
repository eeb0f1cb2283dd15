/**
 * `selm demo` (also `npm start`): the bandit world and the language world, SELM against iterative DPO over
 * several seeds, with the results table printed and the report written.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../nn/node/checkpoint-file.js';
import { demoConfigs } from '../../lab/demo.js';
import { resultsTable } from '../../lab/report.js';
import { runDemoStudies } from '../../lab/node/study-run.js';
import { studyStory } from '../../lab/study-report.js';
import type { Summary } from '../../lab/summary.js';
import { flag, parse, stringOption, timestamp, UsageError } from '../args.js';
import { chooseReporter, formatDuration } from '../progress.js';
import { printResult } from '../output.js';
import { checkRunFolder, runAndReport, tableNumbers } from '../run-report.js';

export const DEMO_USAGE = `usage: selm demo [--out DIR] [--quick] [--json]
       selm demo --resume DIR [--quick] [--json]
       selm demo --language-study [--backend cpu|wasm] [--out DIR] [--quick] [--json]

Runs SELM against iterative DPO (α = 0) in two worlds whose true reward r* is known: the bandit world
(the paper's Figure 1 made runnable, exact expectations, with an α sweep) and the language world (a tiny
GPT), over several seeds; prints mean r* on held-out prompts ± a 95% interval per method and iteration, and
the SELM − DPO difference with its interval. At most 2 minutes on 2 cores; --quick takes under 20 seconds.

options:
  --out DIR      where the report goes (default runs/demo-<time>); DIR/bandit and DIR/language are run
                 folders, DIR/summary.md holds both tables; DIR must be new or empty
  --resume DIR   continue an interrupted demo
  --quick        fewer seeds and steps (a smoke test, not a result)
  --language-study
                 only the study of issue 12 in the language world (tuning and evaluation seeds, exploration
                 metrics, the budget axis) into DIR/study: minutes on 2 cores, too slow for npm start
  --backend B    with --language-study: the engine backend that runs the GPT, cpu (default; the study's
                 recorded numbers) or wasm (the generated WebAssembly SIMD kernels, faster; float32 rounding
                 differs, so the numbers may differ in their last digits)
  --json         stdout is JSON lines only: progress records, then one result record (see README,
                 Commands); without it stdout is the results tables and progress goes to stderr
  -h, --help     this help`;

export async function runDemoCommand(argv: string[]): Promise<number> {
  const p = parse('demo', argv, {
    out: { type: 'string' },
    resume: { type: 'string' },
    quick: { type: 'boolean' },
    json: { type: 'boolean' },
    'language-study': { type: 'boolean' },
    backend: { type: 'string' },
  });
  if (flag(p, 'help')) {
    console.log(DEMO_USAGE);
    return 0;
  }
  const resume = stringOption(p, 'resume');
  if (flag(p, 'language-study') && resume !== undefined)
    throw new UsageError('selm demo: --language-study cannot be combined with --resume');
  const backend = stringOption(p, 'backend') ?? 'cpu';
  if (backend !== 'cpu' && backend !== 'wasm') throw new UsageError(`selm demo: --backend takes 'cpu' or 'wasm', got '${backend}'`);
  // The demo's own language run records its backend in its config.json like any run; a --resume must not change
  // it, so the flag is for the language study alone (which cannot be resumed).
  if (stringOption(p, 'backend') !== undefined && !flag(p, 'language-study'))
    throw new UsageError(
      "selm demo: --backend applies to --language-study only (a run's backend is model.backend in its config: selm train)",
    );
  if (resume !== undefined && stringOption(p, 'out') !== undefined)
    throw new UsageError('selm demo: --out cannot be combined with --resume');
  const dir = resume ?? stringOption(p, 'out') ?? join('runs', `demo-${timestamp()}`);
  if (resume === undefined && existsSync(dir) && readdirSync(dir).length > 0) {
    throw new UsageError(`selm demo: ${dir} is not empty; choose another --out, or continue a demo there with --resume ${dir}`);
  }
  if (resume !== undefined && !existsSync(dir)) throw new UsageError(`selm demo: ${dir} does not exist: nothing to resume`);
  const quick = flag(p, 'quick');
  const json = flag(p, 'json');
  const languageOnly = flag(p, 'language-study');
  const reporter = chooseReporter('demo', json);
  const started = performance.now();
  // The language study keeps no state to resume from (--resume refuses it), so its hint must not offer one.
  const continues = languageOnly
    ? 'a stopped study starts again from the beginning'
    : `'selm demo --resume ${dir}${quick ? ' --quick' : ''}' continues`;
  if (!json) console.error(`selm demo: writing ${dir} (Ctrl-C stops; ${continues})`);
  mkdirSync(dir, { recursive: true });
  const summaries: Summary[] = [];
  for (const config of languageOnly ? [] : demoConfigs(quick)) {
    const sub = join(dir, config.world.kind);
    const resumeSub = resume !== undefined && existsSync(join(sub, 'config.json'));
    if (resumeSub) checkRunFolder(sub);
    summaries.push(await runAndReport(config, sub, reporter, resumeSub, 'warn'));
  }
  if (!json) {
    const worlds = languageOnly ? 'the language world' : 'table, smooth and prompt-context worlds';
    console.error(`selm demo: the study of issue 12 (${worlds}, tuning and evaluation seeds) on worker threads`);
  }
  const studies = await runDemoStudies(join(dir, 'study'), quick, undefined, languageOnly, backend);
  const seconds = (performance.now() - started) / 1000;
  const tables = [...summaries.map(resultsTable), studyStory(studies)];
  const markdown: string[] = [
    '# selm demo: SELM vs iterative DPO in worlds with a known true reward',
    '',
    ...summaries.map((s, i) => `\`\`\`\n${tables[i]}\n\`\`\`\n\nFull report: [${s.world}/summary.md](${s.world}/summary.md)\n`),
  ];
  markdown.push(`\n\`\`\`\n${tables[tables.length - 1]}\n\`\`\`\n\nFull report: [study/summary.md](study/summary.md)\n`);
  writeFileAtomic(join(dir, 'summary.md'), new TextEncoder().encode(`${markdown.join('\n')}\n`));
  if (json) printResult('demo', { ok: true, dir, seconds, results: summaries.map(tableNumbers), studies });
  else console.log(`${tables.join('\n\n')}\n\nfinished in ${formatDuration(seconds)}; report: ${join(dir, 'summary.md')}`);
  return 0;
}
