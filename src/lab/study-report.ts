/**
 * The study's story in three parts (issue 12), as the demo prints it and study/summary.md holds it: the table
 * world (what optimism does without generalisation), the smooth world (when optimism changes exploration, and
 * at which budgets), the controls (DPO* and tempered y_ref against SELM). Every verdict is computed from an
 * interval, whichever way it falls. Browser-safe (writes through a RunStorage).
 */
import { studyFigureSpecs } from './study-figures.js';
import { renderSvg } from './figures.js';
import { signed, type Interval } from './stats.js';
import { pad } from './report.js';
import { writeJson, writeText, type RunStorage } from './storage.js';
import type { StudyResults } from './study.js';
import { differenceVerdict, summarizeStudy, type MetricName, type StudySummary } from './study-summary.js';
import { optimismDominates, optimismWarningText } from './divergence.js';

function plain(i: Interval, digits = 3): string {
  return Number.isNaN(i.halfWidth) ? i.mean.toFixed(digits) : `${i.mean.toFixed(digits)} ± ${i.halfWidth.toFixed(digits)}`;
}

const SHOWN: [MetricName, string][] = [
  ['meanReward', 'Δ mean r*'],
  ['greedyReward', 'Δ greedy r*'],
  ['found', 'Δ found'],
  ['touch', 'Δ touch'],
  ['klSft', 'Δ KL(π‖SFT)'],
];

/** Where SELM − DPO's mean-r* interval changes side along the budget axis, in words. */
export function signChanges(s: StudySummary): string {
  const side = (d: Interval): number => (d.low > 0 ? 1 : d.high < 0 ? -1 : 0);
  const sides = s.budget.map((b) => side(b.difference.meanReward));
  const word = (v: number): string => (v > 0 ? 'SELM better' : v < 0 ? 'DPO better' : 'no clear difference');
  const parts = s.budget.map((b, i) => `lr ${b.learningRate}: ${word(sides[i]!)}`);
  const changes = sides.slice(1).filter((v, i) => v !== sides[i]!).length;
  return `${parts.join('; ')}${changes === 0 ? ' (no change along the budget axis)' : ''}`;
}

/** One study's part of the story, as plain text. */
export function studyText(s: StudySummary): string {
  const c = s.choices;
  const head = [
    `${s.title} (${s.featureWidth === null ? 'a GPT, sampled metrics' : `featureWidth ${s.featureWidth}`}${s.contexts > 1 ? `, ${s.contexts} contexts` : ''}, y_ref ${s.yRef}): ${s.evaluationSeeds} evaluation seeds paired by seed, 95% t intervals; chosen on ${s.tuningSeeds} separate tuning seeds:`,
    `  SELM α = ${c.alpha} (at the default budget), SELM* α ${c.selmAlpha} lr ${c.selmLearningRate}, DPO* lr ${c.dpoLearningRate}, tempered y_ref τ = ${c.temperature}`,
  ];
  const means = pad([
    ['method', 'mean r*', 'greedy r*', 'found', 'touch', 'mass better', 'KL(π‖SFT)', 'transfer'],
    ...(Object.keys(s.means) as (keyof StudySummary['means'])[]).map((role) => {
      const m = s.means[role];
      const cells = [m.meanReward, m.greedyReward, m.found, m.touch, m.massBetter, m.klSft, m.transfer];
      return [role, ...cells.map((c) => plain(c))];
    }),
  ]);
  const diffs = pad([
    ['paired difference', ...SHOWN.map(([, l]) => l), 'wins'],
    ...s.comparisons.map((cmp) => [cmp.label, ...SHOWN.map(([m]) => signed(cmp.differences[m])), `${(cmp.winRate * 100).toFixed(0)}%`]),
  ]);
  const budget = pad([
    ['budget (lr)', 'DPO mean r*', 'SELM mean r*', 'Δ mean r*', 'Δ found', 'Δ touch', 'DPO KL', 'SELM KL', 'SELM loss (optimism term)'],
    ...s.budget.map((b) => [
      String(b.learningRate),
      plain(b.dpo.meanReward),
      plain(b.selm.meanReward),
      signed(b.difference.meanReward),
      signed(b.difference.found),
      signed(b.difference.touch),
      plain(b.dpo.klSft),
      plain(b.selm.klSft),
      `${signed(b.selm.loss, 2)} (${signed(b.selm.lossOptimism, 2)})`,
    ]),
  ]);
  const fig4 =
    s.figure4.length === 0
      ? "Figure 4's populations: not computed in this world (they need exact sums over Y)"
      : pad([
          ['Figure 4 population (after iter 1)', 'E[r̂_SELM − r̂_DPO]', 'identity predicts'],
          ...s.figure4.map((f) => [f.population, signed(f.value, 4), f.predicted ? signed(f.predicted, 4) : '(no identity)']),
        ]);
  const edges = [s.budget[0]!.learningRate, s.budget[s.budget.length - 1]!.learningRate];
  const atEdge = [
    ...(edges.includes(c.dpoLearningRate) ? [`DPO*'s budget (lr ${c.dpoLearningRate})`] : []),
    ...(edges.includes(c.selmLearningRate) ? [`SELM*'s budget (lr ${c.selmLearningRate})`] : []),
  ];
  const edgeNote = atEdge.length === 0 ? [] : [`  note: ${atEdge.join(' and ')} is at the edge of the grid: its optimum may lie beyond it`];
  const dominated = s.budget.filter((b) => optimismDominates(b.selm.loss.mean, b.selm.lossOptimism.mean));
  const warning = [
    ...(dominated.length === 0 ? [] : [`  warning: ${optimismWarningText(`at lr ${dominated.map((b) => b.learningRate).join(', ')}`)}`]),
    ...s.divergence.map(
      (d) => `  warning: ${d.method}: ${d.kind} diverged on ${d.seeds} of ${s.evaluationSeeds} evaluation seeds (first: ${d.first})`,
    ),
  ];
  const verdicts = s.comparisons
    .slice(0, 3)
    .map(
      (cmp) =>
        `  ${cmp.label}: ${differenceVerdict(cmp.label, cmp.differences.meanReward)}; found: ${differenceVerdict(cmp.label, cmp.differences.found, 'found rate')}`,
    );
  return [
    ...head,
    ...edgeNote,
    '',
    means,
    '',
    diffs,
    '',
    budget,
    `  along the budget axis (SELM − DPO, mean r*): ${signChanges(s)}`,
    ...warning,
    '',
    fig4,
    '',
    'verdicts:',
    ...verdicts,
  ].join('\n');
}

/** The controls' part: DPO* and tempered y_ref against SELM, one line each per world. */
export function controlsText(summaries: readonly StudySummary[]): string {
  return summaries
    .flatMap((s) => {
      const by = (label: string) => s.comparisons.find((c) => c.label === label)!;
      return [
        `${s.title}: SELM − DPO* mean r* ${signed(by('SELM − DPO*').differences.meanReward)} (${differenceVerdict('SELM − DPO*', by('SELM − DPO*').differences.meanReward)})`,
        `${s.title}: SELM − tempered mean r* ${signed(by('SELM − tempered').differences.meanReward)} (${differenceVerdict('SELM − tempered', by('SELM − tempered').differences.meanReward)})`,
      ];
    })
    .join('\n');
}

/** The three-part story as text (what `selm demo` prints). */
export function studyStory(summaries: readonly StudySummary[]): string {
  const parts = summaries.map((s, i) => `Part ${i + 1}. ${studyText(s)}`);
  return [
    "== An honest test of SELM's claim (issue 12): does optimism make online alignment explore? ==",
    ...parts,
    `Part ${summaries.length + 1}. The controls (DPO with a tuned budget, DPO with tempered y_ref):\n${controlsText(summaries)}`,
  ].join('\n\n');
}

/** Writes study/<name>.json, study/summary.md and study/figures/*.svg; returns the summaries. */
export async function writeStudyReport(storage: RunStorage, results: readonly StudyResults[]): Promise<StudySummary[]> {
  const summaries = results.map(summarizeStudy);
  const figures: string[] = [];
  for (const s of summaries) {
    for (const [name, spec] of Object.entries(studyFigureSpecs(s))) {
      writeText(storage, `figures/${name}`, await renderSvg(spec));
      figures.push(name);
    }
  }
  for (const [i, r] of results.entries())
    writeJson(storage, `${r.config.name}.json`, { summary: summaries[i], tuning: r.tuning, evaluation: r.evaluation, config: r.config });
  const md = [
    "# An honest test of SELM's claim",
    '',
    'Hyper-parameters were chosen on tuning seeds and every number below is from separate evaluation seeds, paired by seed, mean ± 95% t interval. ' +
      'found = share of rows (tasks, or (task, context) pairs; held-out prompts in the language world) whose greedy response is on the better hill (the best response, in the language world); ' +
      'touch = share of ranked pairs (iterations ≥ 2) containing a response better than the local optimum; mass better = π on the better hill; ' +
      "transfer = to first order, how much a gradient step that raises an iteration's trained margins raises the margins of untrained neighbouring responses, at that iteration's π_ref (0 in a table; mean over iterations and over the seeds where defined); " +
      'the "wins" column = share of seeds where the first method has the higher final mean r*.',
    '',
    '```',
    studyStory(summaries),
    '```',
    '',
    '## Figures',
    '',
    ...figures.map((f) => `- [${f}](figures/${f})`),
    '',
  ].join('\n');
  writeText(storage, 'summary.md', md);
  return summaries;
}
