/**
 * `selm judges`: SELM and iterative DPO in the language world ranked by the true reward r* and by a learned
 * reward model, the rest equal; reports what the learned judge's errors cost each method (judge-comparison.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../nn/node/checkpoint-file.js';
import { defaultsFor, methodsOf, type ExperimentConfig } from '../../lab/config.js';
import type { ModelEval } from '../../lab/evaluate.js';
import {
  compareJudges,
  judgeComparisonConfigs,
  judgeComparisonMarkdown,
  rankedAgreement,
  type RankedAgreement,
} from '../../lab/judge-comparison.js';
import type { LearnedJudgeReport } from '../../lab/learned-judge.js';
import { buildWorld, type ExperimentResults } from '../../lab/runner.js';
import { flag, parse, stringOption, timestamp } from '../args.js';
import { printResult } from '../output.js';
import { chooseReporter, formatDuration } from '../progress.js';
import { readConfigFile, runAndReport } from '../run-report.js';

export const JUDGES_USAGE = `usage: selm judges [--config FILE] [--out DIR] [--quick] [--json]

In the language world (whose true reward r* is known), runs SFT, then SELM and iterative DPO twice: ranked
by r* itself, and by a learned Bradley–Terry reward model trained on the preference set (PairRM's role).
Both are evaluated with r* on held-out prompts; prints each method's mean r* under each judge with 95%
intervals over seeds, the paired difference (what the judge's errors cost), and the judge's held-out accuracy.

options:
  --config FILE  a language-world config (default: the language defaults with seeds 0-4); its ranker is
                 replaced by r* and by its learned ranker (or {"kind": "learned", "steps": 200, "lr": 3e-3})
  --out DIR      where the report goes (default runs/judges-<time>): DIR/true-reward and DIR/learned are run
                 folders, DIR/summary.md the comparison
  --quick        2 seeds and fewer steps, under a minute (a smoke test, not a result)
  --json         stdout is JSON lines only: progress, then one result record holding the comparison
  -h, --help     this help`;

function baseConfig(path: string | undefined, quick: boolean): ExperimentConfig {
  if (path !== undefined) return readConfigFile(path);
  const c = defaultsFor('language');
  c.name = 'judges';
  c.seeds = [0, 1, 2, 3, 4];
  c.alphaSweep = [];
  if (quick) {
    c.name = 'judges-quick';
    // The demo's quick language settings (demo.ts): SFT long enough that the policy's samples differ.
    c.seeds = [0, 1];
    c.sft.steps = 40;
    c.algorithm.epochs = 2;
    c.algorithm.batchSize = 16;
    if (c.world.kind === 'language') c.world = { ...c.world, pairsPerPrompt: 4 };
    c.eval.samples = 4;
  }
  return c;
}

/** A finished run's results as the comparison reads them (eval.json holds every model's evaluation). */
function readResults(dir: string, config: ExperimentConfig): ExperimentResults {
  const { evals } = JSON.parse(readFileSync(join(dir, 'eval.json'), 'utf8')) as { evals: Record<string, ModelEval> };
  return { config, methods: methodsOf(config), evals, bestReward: Number.NaN };
}

export async function runJudgesCommand(argv: string[]): Promise<number> {
  const p = parse('judges', argv, {
    config: { type: 'string' },
    out: { type: 'string' },
    quick: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (flag(p, 'help')) {
    console.log(JUDGES_USAGE);
    return 0;
  }
  const quick = flag(p, 'quick');
  const json = flag(p, 'json');
  const { trueReward, learned } = judgeComparisonConfigs(baseConfig(stringOption(p, 'config'), quick));
  const dir = stringOption(p, 'out') ?? join('runs', `judges-${timestamp()}`);
  const reporter = chooseReporter('judges', json);
  if (!json) console.error(`selm judges: writing ${dir}`);
  const started = performance.now();
  const trueDir = join(dir, 'true-reward');
  const learnedDir = join(dir, 'learned');
  await runAndReport(trueReward, trueDir, reporter, false, 'warn');
  await runAndReport(learned, learnedDir, reporter, false, 'warn');
  const reports = learned.seeds.map(
    (seed) => JSON.parse(readFileSync(join(learnedDir, 'judge', `seed${seed}.json`), 'utf8')) as LearnedJudgeReport,
  );
  // The judge on the pairs it chose: every D_t of the learned run, read back into the seed's world.
  const ranked = learned.seeds.map((seed) => {
    // Only the world's r* and vocabulary are read here, never its D: a config's own preferences file is not
    // read again (selm data builds its world the same way).
    const world = buildWorld({ ...learned, preferences: null }, seed);
    const agreement: RankedAgreement = { rows: 0, checked: 0, separated: 0, agree: 0 };
    const data = join(learnedDir, 'data', `seed${seed}`);
    for (const method of readdirSync(data).sort())
      for (const file of readdirSync(join(data, method)).sort())
        rankedAgreement(world, readFileSync(join(data, method, file), 'utf8'), agreement);
    return agreement;
  });
  const comparison = compareJudges(readResults(trueDir, trueReward), readResults(learnedDir, learned), reports, ranked);
  const markdown = judgeComparisonMarkdown(comparison);
  writeFileAtomic(
    join(dir, 'summary.md'),
    new TextEncoder().encode(`${markdown}\nRun folders: [true-reward/](true-reward/summary.md), [learned/](learned/summary.md).\n`),
  );
  const seconds = (performance.now() - started) / 1000;
  if (json) printResult('judges', { ok: true, dir, seconds, comparison });
  else console.log(`${markdown}\nfinished in ${formatDuration(seconds)}; report: ${join(dir, 'summary.md')}`);
  return 0;
}
