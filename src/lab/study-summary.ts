/**
 * A study's numbers (study.ts): paired differences by evaluation seed with 95% t intervals, per-seed
 * distributions (win rate, quantiles, histogram of final r*), the budget sweep, the reward-KL frontier and
 * Figure 4's four populations beside the identity's predictions. Browser-safe.
 */
import type { IterationMetrics, SeedComparison } from './exploration.js';
import { meanInterval, pairedDifference, type Interval } from './stats.js';
import type { StudyResults, StudyRoles } from './study.js';
import { methodName } from './study.js';

/** The metrics a comparison reports, each reduced to one number per seed. */
export const METRICS = ['meanReward', 'greedyReward', 'found', 'touch', 'massBetter', 'klSft', 'transfer', 'loss', 'lossOptimism'] as const;
export type MetricName = (typeof METRICS)[number];

/**
 * A seed's value of a metric for a method: after the last iteration, except touch (mean over iterations ≥ 2)
 * and transfer (mean over the iterations where the probe is defined).
 */
export function seedValue(result: SeedComparison, name: string, metric: MetricName): number {
  const its: IterationMetrics[] = result.methods[name]!;
  if (metric === 'transfer') {
    // A property of each iteration's π_ref: the mean over the iterations where it is defined.
    const defined = its.filter((m) => m.iteration >= 1 && Number.isFinite(m.transfer));
    return defined.length === 0 ? Number.NaN : defined.reduce((a, m) => a + m.transfer, 0) / defined.length;
  }
  if (metric === 'touch') {
    const later = its.filter((m) => m.iteration >= 2);
    return later.length === 0 ? its.at(-1)!.touch : later.reduce((a, m) => a + m.touch, 0) / later.length;
  }
  return its.at(-1)![metric];
}

export interface Comparison {
  label: string;
  a: string;
  b: string;
  /** A − B per metric, paired by seed. */
  differences: Record<MetricName, Interval>;
  /** Share of seeds where A's final mean r* beats B's (ties count one half). */
  winRate: number;
}

export function compare(results: readonly SeedComparison[], label: string, a: string, b: string): Comparison {
  const differences = Object.fromEntries(
    METRICS.map((m) => [
      m,
      pairedDifference(
        results.map((r) => seedValue(r, a, m)),
        results.map((r) => seedValue(r, b, m)),
      ),
    ]),
  ) as Record<MetricName, Interval>;
  const wins = results.reduce((s, r) => {
    const d = seedValue(r, a, 'meanReward') - seedValue(r, b, 'meanReward');
    return s + (Math.abs(d) < 1e-12 ? 0.5 : d > 0 ? 1 : 0);
  }, 0);
  return { label, a, b, differences, winRate: wins / results.length };
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export interface Distribution {
  role: string;
  /** 10%, 25%, 50%, 75%, 90% quantiles of the final mean r* over evaluation seeds. */
  quantiles: number[];
  /** Counts of seeds per bin of `edges`. */
  counts: number[];
}

export interface BudgetPoint {
  learningRate: number;
  dpo: Record<MetricName, Interval>;
  selm: Record<MetricName, Interval>;
  /** SELM − DPO at this budget, paired by seed. */
  difference: Record<MetricName, Interval>;
}

export interface Figure4Row {
  population: string;
  value: Interval;
  predicted: Interval | null;
}

export interface StudySummary {
  name: string;
  title: string;
  /** The bandit policy's feature width (null in the language world: a GPT). */
  featureWidth: number | null;
  /** Prompt contexts per task (1 = none) and the y_ref mode of the study's Algorithm 1. */
  contexts: number;
  yRef: string;
  evaluationSeeds: number;
  tuningSeeds: number;
  choices: StudyResults['choices'];
  roles: StudyRoles;
  means: Record<keyof StudyRoles, Record<MetricName, Interval>>;
  comparisons: Comparison[];
  budget: BudgetPoint[];
  heatmap: { alphas: number[]; learningRates: number[]; values: number[][] };
  histogramEdges: number[];
  distributions: Distribution[];
  figure4: Figure4Row[];
  /** The lab's divergence checks (divergence.ts) over the evaluation seeds: seeds flagged, per method and kind. */
  divergence: { method: string; kind: string; seeds: number; first: string }[];
  /** π(·|task 0) per iteration of each role on the first evaluation seed, with r*(task 0, ·). */
  policies: { seed: number; rewards: number[]; roles: { role: string; iterations: number[][] }[] } | null;
}

const ROLES: (keyof StudyRoles)[] = ['DPO', 'SELM', 'DPO*', 'SELM*', 'tempered'];

export function summarizeStudy(s: StudyResults): StudySummary {
  const ev = s.evaluation;
  // The transfer probe is undefined (NaN) on a seed whose pairs have no untrained neighbours: its mean is over
  // the seeds where it is defined; every other metric is defined on every seed.
  const values = (name: string, m: MetricName): number[] => {
    const v = ev.map((r) => seedValue(r, name, m));
    return m === 'transfer' ? v.filter(Number.isFinite) : v;
  };
  const means = (name: string): Record<MetricName, Interval> =>
    Object.fromEntries(METRICS.map((m) => [m, meanInterval(values(name, m))])) as Record<MetricName, Interval>;
  const r = s.roles;
  const comparisons = [
    compare(ev, 'SELM − DPO', r.SELM, r.DPO),
    compare(ev, 'SELM − DPO*', r.SELM, r['DPO*']),
    compare(ev, 'SELM* − DPO*', r['SELM*'], r['DPO*']),
    compare(ev, 'tempered − DPO', r.tempered, r.DPO),
    compare(ev, 'SELM − tempered', r.SELM, r.tempered),
  ];
  const budget = s.config.learningRates.map((lr) => {
    const d = methodName.dpo(lr);
    const e = methodName.selm(s.choices.alpha, lr);
    return { learningRate: lr, dpo: means(d), selm: means(e), difference: compare(ev, '', e, d).differences };
  });
  const finals = ROLES.map((role) => ev.map((x) => seedValue(x, r[role], 'meanReward')).sort((a, b) => a - b));
  const low = Math.min(...finals.flat());
  const high = Math.max(...finals.flat());
  const bins = 12;
  const histogramEdges = Array.from({ length: bins + 1 }, (_, i) => low + ((high - low || 1) * i) / bins);
  const distributions = ROLES.map((role, i) => {
    const counts = new Array<number>(bins).fill(0);
    for (const v of finals[i]!) counts[Math.min(bins - 1, Math.floor(((v - low) / (high - low || 1)) * bins))]!++;
    return { role, quantiles: [0.1, 0.25, 0.5, 0.75, 0.9].map((q) => quantile(finals[i]!, q)), counts };
  });
  const populations = ev[0]?.figure4?.map((p) => p.population) ?? [];
  const label: Record<string, string> = {
    π_ref: 'π_ref samples',
    uniform: 'uniform (off-policy)',
    A: "SELM's own samples",
    B: "DPO's own samples",
  };
  const figure4 = populations.map((pop, i) => {
    const predicted = ev[0]!.figure4![i]!.predicted;
    return {
      population: label[pop] ?? pop,
      value: meanInterval(ev.map((x) => x.figure4![i]!.value)),
      predicted: predicted === null ? null : meanInterval(ev.map((x) => x.figure4![i]!.predicted!)),
    };
  });
  const first = ev[0];
  const policies = first?.policies
    ? {
        seed: first.seed,
        rewards: first.policies.rewards,
        roles: ROLES.map((role) => ({ role, iterations: first.policies!.methods[r[role]]! })),
      }
    : null;
  const flagged = new Map<string, { method: string; kind: string; seeds: Set<number>; first: string }>();
  for (const x of ev)
    for (const w of x.warnings ?? []) {
      const key = `${w.method}\u0000${w.kind}`;
      const entry = flagged.get(key) ?? { method: w.method, kind: w.kind, seeds: new Set<number>(), first: w.message };
      entry.seeds.add(w.seed);
      flagged.set(key, entry);
    }
  const divergence = [...flagged.values()].map((f) => ({ method: f.method, kind: f.kind, seeds: f.seeds.size, first: f.first }));
  return {
    policies,
    divergence,
    name: s.config.name,
    title: s.config.title,
    featureWidth: s.config.world.kind === 'bandit' ? s.config.world.featureWidth : null,
    contexts: s.config.world.kind === 'bandit' ? s.config.world.contexts : 1,
    yRef: s.config.algorithm.yRef,
    evaluationSeeds: ev.length,
    tuningSeeds: s.tuning.length,
    choices: s.choices,
    roles: r,
    means: Object.fromEntries(ROLES.map((role) => [role, means(r[role])])) as StudySummary['means'],
    comparisons,
    budget,
    heatmap: { alphas: s.config.alphas, learningRates: s.config.learningRates, values: s.heatmap },
    histogramEdges,
    distributions,
    figure4,
  };
}

/** The one-line verdict an interval of A − B supports (higher is better for every metric but KL). */
export function differenceVerdict(label: string, d: Interval, what = 'mean r*'): string {
  const [a, b] = label.split(' − ');
  if (Number.isNaN(d.halfWidth)) return `${label}: one seed, no conclusion`;
  if (d.low > 0) return `${a} higher ${what} than ${b} (interval above 0)`;
  if (d.high < 0) return `${b} higher ${what} than ${a} (interval below 0)`;
  return `no clear difference in ${what} between ${a} and ${b} (interval contains 0)`;
}
