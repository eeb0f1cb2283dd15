/**
 * The report of a run (a folder, or memory): eval.json (every model's evaluation and the summary), summary.md (the results
 * table, the SELM − DPO difference and what it says, the figures), and figures/*.svg. Every file is written
 * atomically. The results table is also what `selm demo` prints.
 */
import { figureSpecs, renderSvg } from './figures.js';
import type { ExperimentResults } from './runner.js';
import { formatInterval, signed, type Interval } from './stats.js';
import { writeJson, writeText, type RunStorage } from './storage.js';
import { summarize, type Summary } from './summary.js';

/** Rows of cells as plain-text columns (two spaces apart), as the CLI prints its tables. */
export function pad(cells: string[][]): string {
  const widths = cells[0]!.map((_, j) => Math.max(...cells.map((r) => r[j]!.length)));
  return cells
    .map((r) =>
      r
        .map((c, j) => c.padEnd(widths[j]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** What an interval of SELM − DPO says, in words. */
export function verdict(d: Interval): string {
  if (Number.isNaN(d.halfWidth)) return 'one seed only: no interval, no conclusion';
  if (d.low > 0) return 'SELM better (interval above 0)';
  if (d.high < 0) return 'DPO better (interval below 0)';
  return 'no clear difference (interval contains 0)';
}

/** The results table's cells, one row per method and iteration (the text and the Markdown tables share them). */
function resultCells(summary: Summary): string[][] {
  return summary.rows.map((r) => [
    r.method,
    String(r.iteration),
    formatInterval(r.greedy),
    formatInterval(r.sampled),
    formatInterval(r.winVsSft),
  ]);
}

/** The results table as plain text (what `selm demo` prints). */
export function resultsTable(summary: Summary): string {
  const head = `${summary.experiment} world, ${summary.seeds.length} seeds, SELM α = ${summary.alpha}, β = ${summary.beta}: mean r* on held-out prompts (± 95% CI; the best achievable is ${summary.bestReward.toFixed(3)})`;
  const rows = [['method', 'iter', 'r* greedy', 'r* sampled', 'win vs SFT'], ...resultCells(summary)];
  const diffs = [
    ['SELM − DPO', 'iter', 'Δ r* greedy', 'Δ r* sampled', 'Δ win vs SFT'],
    ...summary.differences.map((d) => ['', String(d.iteration), signed(d.greedy), signed(d.sampled), signed(d.winVsSft)]),
  ];
  const last = summary.differences[summary.differences.length - 1]!;
  const conclusion = `after iteration ${last.iteration}: Δ r* sampled ${signed(last.sampled)}: ${verdict(last.sampled)}; Δ r* greedy ${signed(last.greedy)}: ${verdict(last.greedy)}`;
  return `${head}\n${pad(rows)}\n\n${pad(diffs)}\n${conclusion}`;
}

function markdownTable(cells: string[][]): string {
  const [header, ...body] = cells;
  return [`| ${header!.join(' | ')} |`, `| ${header!.map(() => '---').join(' | ')} |`, ...body.map((r) => `| ${r.join(' | ')} |`)].join(
    '\n',
  );
}

export function summaryMarkdown(summary: Summary, results: ExperimentResults, figures: string[]): string {
  const last = summary.differences[summary.differences.length - 1]!;
  const c = results.config;
  const lines = [
    `# ${summary.experiment}: SELM vs iterative DPO`,
    '',
    `World: ${c.world.kind}; seeds ${summary.seeds.join(', ')}; T = ${c.algorithm.iterations}${c.algorithm.zephyr ? ' (after one Zephyr-recipe DPO iteration)' : ''}; SELM α = ${c.algorithm.alpha}, β = ${c.algorithm.beta}; y_ref ${c.algorithm.yRef}; update rule ${c.algorithm.updateRule}; ranker ${c.ranker.kind}.`,
    `Every number is a mean over seeds with its 95% interval (Student t). r* is the hidden true reward on held-out prompts: of the greedy response, and in expectation over sampled responses (exact in the bandit world). The best achievable mean r* is ${summary.bestReward.toFixed(3)}.`,
    '',
    markdownTable([['method', 'iteration', 'r* greedy', 'r* sampled', 'win rate vs SFT'], ...resultCells(summary)]),
    '',
    '## SELM − DPO (paired by seed)',
    '',
    markdownTable([
      ['iteration', 'Δ r* greedy', 'Δ r* sampled', 'Δ win rate vs SFT'],
      ...summary.differences.map((d) => [String(d.iteration), signed(d.greedy), signed(d.sampled), signed(d.winVsSft)]),
    ]),
    '',
    `After iteration ${last.iteration}: sampled r* ${signed(last.sampled)}, ${verdict(last.sampled)}; greedy r* ${signed(last.greedy)}, ${verdict(last.greedy)}.`,
    '',
    '## Figures',
    '',
    ...figures.map((f) => `- [${f}](figures/${f})`),
    '',
    "Files: `config.json` (the full configuration), `metrics.jsonl` (every training step), `eval.json` (every model's evaluation and this summary), `checkpoints/` (safetensors, one per iteration).",
    '',
  ];
  return lines.join('\n');
}

/** Writes eval.json, summary.md and the figures into the run's storage; returns the summary. */
export async function writeReport(storage: RunStorage, results: ExperimentResults): Promise<Summary> {
  const summary = summarize(results);
  const specs = figureSpecs(summary);
  for (const [name, spec] of Object.entries(specs)) writeText(storage, `figures/${name}`, await renderSvg(spec));
  writeJson(storage, 'eval.json', { summary, evals: results.evals });
  writeText(storage, 'summary.md', summaryMarkdown(summary, results, Object.keys(specs)));
  return summary;
}
