/**
 * From every model's evaluation to the numbers the report shows, each a mean with a 95% interval over seeds:
 * the results table (r* per method and iteration, win rate against SFT), the SELM − DPO paired difference,
 * the pairwise win-rate matrix (Figure 2), the α study (Figure 3 left), reward histograms by α and by
 * iteration (Figure 3 middle and right), and the sorted implicit-reward differences (Figure 4).
 */
import { binIndex, histogram, sortedImplicitDifference, winRate, type ModelEval } from './evaluate.js';
import { unitKey, type ExperimentResults } from './runner.js';
import { curveIntervals, meanInterval, pairedDifference, type Interval } from './stats.js';

export interface TableRow {
  method: string;
  /** 0 is the SFT model (the Zephyr recipe's DPO iteration is also 0, labelled as such). */
  iteration: number;
  greedy: Interval;
  sampled: Interval;
  winVsSft: Interval;
}

export interface DifferenceRow {
  iteration: number;
  greedy: Interval;
  sampled: Interval;
  winVsSft: Interval;
}

export interface HistogramSeries {
  label: string;
  /** Fraction of held-out prompts whose greedy response falls in each bin (the paper's decoding). */
  fractions: Interval[];
  /** Fraction of sampled responses' r* in each bin: exact mass over Y in the bandit, draws otherwise. */
  sampledFractions: Interval[];
  /** Mean r* of the greedy responses. */
  meanGreedy: Interval;
}

export interface Summary {
  experiment: string;
  world: string;
  seeds: number[];
  /** SELM's α and β (α = 0 is DPO). */
  alpha: number;
  beta: number;
  iterations: number[];
  /** max_y r*(x, y) over held-out prompts: what a perfect policy would score. */
  bestReward: number;
  rows: TableRow[];
  /** SELM − DPO, paired by seed. */
  differences: DifferenceRow[];
  winMatrix: { labels: string[]; mean: number[][]; halfWidth: number[][] };
  alphaSweep: { alpha: number; greedy: Interval; sampled: Interval }[];
  /** Edges of the histograms' bins, fitted to the range the histograms' r* values cover. */
  histogramEdges: number[];
  /** Greedy r* histograms at `histogramIteration` by method (Figure 3 middle). */
  histogramIteration: number;
  histogramsByAlpha: HistogramSeries[];
  /** Greedy r* histograms of SELM by iteration (Figure 3 right). */
  histogramsByIteration: HistogramSeries[];
  /** Sorted r̂_SELM − r̂_DPO on held-out chosen and rejected responses after the first online iteration. */
  implicitDifference: { iteration: number; chosen: Interval[]; rejected: Interval[] };
}

function seedsEvals(results: ExperimentResults, method: string, iteration: number): ModelEval[] {
  return results.config.seeds.map((seed) => {
    const key = iteration === 0 && method === 'SFT' ? unitKey(seed, 'SFT', 'sft') : unitKey(seed, method, iteration);
    const e = results.evals[key];
    if (!e) throw new Error(`summary: no evaluation for ${key}`);
    return e;
  });
}

export function summarize(results: ExperimentResults): Summary {
  const { config, methods } = results;
  const alg = config.algorithm;
  const first = alg.zephyr ? 0 : 1;
  const iterations = Array.from({ length: alg.iterations - first + 1 }, (_, i) => first + i);
  const sft = seedsEvals(results, 'SFT', 0);
  const row = (method: string, iteration: number, evals: ModelEval[]): TableRow => ({
    method,
    iteration,
    greedy: meanInterval(evals.map((e) => e.meanGreedy)),
    sampled: meanInterval(evals.map((e) => e.meanSampled)),
    winVsSft: meanInterval(evals.map((e, i) => winRate(e, sft[i]!))),
  });
  const rows: TableRow[] = [row('SFT', 0, sft)];
  for (const m of methods) for (const t of iterations) rows.push(row(m.name, t, seedsEvals(results, m.name, t)));

  const differences = iterations.map((t) => {
    const s = seedsEvals(results, 'SELM', t);
    const d = seedsEvals(results, 'DPO', t);
    return {
      iteration: t,
      greedy: pairedDifference(
        s.map((e) => e.meanGreedy),
        d.map((e) => e.meanGreedy),
      ),
      sampled: pairedDifference(
        s.map((e) => e.meanSampled),
        d.map((e) => e.meanSampled),
      ),
      winVsSft: pairedDifference(
        s.map((e, i) => winRate(e, sft[i]!)),
        d.map((e, i) => winRate(e, sft[i]!)),
      ),
    };
  });

  // Figure 2: SFT, then each DPO and SELM iteration; entry (row, col) = win rate of row against col.
  const models: { label: string; evals: ModelEval[] }[] = [{ label: 'SFT', evals: sft }];
  for (const name of ['DPO', 'SELM'])
    for (const t of iterations) models.push({ label: `${name} iter ${t}`, evals: seedsEvals(results, name, t) });
  const cells = models.map((a) => models.map((b) => meanInterval(a.evals.map((e, i) => winRate(e, b.evals[i]!)))));
  const winMatrix = {
    labels: models.map((m) => m.label),
    mean: cells.map((r) => r.map((c) => c.mean)),
    halfWidth: cells.map((r) => r.map((c) => c.halfWidth)),
  };

  const last = alg.iterations;
  const alphaSweep = methods
    .map((m) => ({ alpha: m.alpha, evals: seedsEvals(results, m.name, last) }))
    .sort((a, b) => a.alpha - b.alpha)
    .map(({ alpha, evals }) => ({
      alpha,
      greedy: meanInterval(evals.map((e) => e.meanGreedy)),
      sampled: meanInterval(evals.map((e) => e.meanSampled)),
    }));

  const bins = config.eval.bins;
  const histogramIteration = Math.min(2, last);
  const byAlpha = methods.map((m) => ({
    label: m.alpha === 0 ? 'α = 0 (DPO)' : `α = ${m.alpha}`,
    evals: seedsEvals(results, m.name, histogramIteration),
  }));
  const byIteration = [
    { label: 'SFT', evals: sft },
    ...iterations.map((t) => ({ label: `iter ${t}`, evals: seedsEvals(results, 'SELM', t) })),
  ];
  const histogramEdges = fittedEdges(
    [...byAlpha, ...byIteration].flatMap(({ evals }) =>
      evals.flatMap((e) => [...e.greedy, ...e.sampled.flatMap((d) => d.values.filter((_, i) => d.weights[i]! >= 1e-3))]),
    ),
    bins,
  );
  const low = histogramEdges[0]!;
  const high = histogramEdges[bins]!;
  const hist = ({ label, evals }: { label: string; evals: ModelEval[] }): HistogramSeries => ({
    label,
    fractions: curveIntervals(evals.map((e) => histogram(e.greedy, bins, low, high))),
    sampledFractions: curveIntervals(evals.map((e) => sampledHistogram(e, bins, low, high))),
    meanGreedy: meanInterval(evals.map((e) => e.meanGreedy)),
  });
  const histogramsByAlpha = byAlpha.map(hist);
  const histogramsByIteration = byIteration.map(hist);

  const firstOnline = 1;
  const selm1 = seedsEvals(results, 'SELM', firstOnline);
  const dpo1 = seedsEvals(results, 'DPO', firstOnline);
  const implicitDifference = {
    iteration: firstOnline,
    chosen: curveIntervals(selm1.map((e, i) => sortedImplicitDifference(e, dpo1[i]!, 'chosen'))),
    rejected: curveIntervals(selm1.map((e, i) => sortedImplicitDifference(e, dpo1[i]!, 'rejected'))),
  };

  return {
    experiment: config.name,
    world: config.world.kind,
    seeds: config.seeds,
    alpha: alg.alpha,
    beta: alg.beta,
    iterations,
    bestReward: results.bestReward,
    rows,
    differences,
    winMatrix,
    alphaSweep,
    histogramEdges,
    histogramIteration,
    histogramsByAlpha,
    histogramsByIteration,
    implicitDifference,
  };
}

/**
 * `bins` equal bins over the range `values` cover, the ends rounded out to a tenth, so the bars spread over
 * where the data are (a fixed 0-to-best range put every greedy r* of a run in one bar). One value alone gets
 * a range of 0.2 around it.
 */
export function fittedEdges(values: readonly number[], bins: number): number[] {
  const finite = values.filter(Number.isFinite);
  let low = finite.length > 0 ? Math.floor(Math.min(...finite) * 10 + 1e-9) / 10 : 0;
  let high = finite.length > 0 ? Math.ceil(Math.max(...finite) * 10 - 1e-9) / 10 : 1;
  if (high - low < 0.2) {
    low -= 0.1;
    high = low + 0.2;
  }
  return Array.from({ length: bins + 1 }, (_, i) => low + ((high - low) * i) / bins);
}

/** The mass of a model's sampled r* distribution per bin, averaged over held-out prompts (fractions sum to 1). */
export function sampledHistogram(e: ModelEval, bins: number, low: number, high: number): number[] {
  const out = new Array<number>(bins).fill(0);
  for (const d of e.sampled) {
    const total = d.weights.reduce((a, b) => a + b, 0) || 1;
    d.values.forEach((v, i) => {
      out[binIndex(v, bins, low, high)]! += d.weights[i]! / total / e.sampled.length;
    });
  }
  return out;
}
