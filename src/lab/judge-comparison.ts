/**
 * How a learned judge's errors change SELM's and DPO's results (issue 14, Build 3): in a world with a known r*
 * (the language world), the same experiment twice, once ranked by r* itself (a perfect PairRM) and once by the
 * learned Bradley–Terry reward model trained on D (learned-judge.ts), everything else equal: same seeds, same
 * worlds, same SFT models. Both are evaluated with r* on held-out prompts, so the difference per seed is what
 * the judge's mistakes cost each method; beside it, the judge's held-out accuracy.
 *
 * The bandit is left out: its learned judge would need token sequences, and its policy is a table.
 */
import type { ModelEval } from './evaluate.js';
import { DEFAULT_LEARNED, type LearnedJudgeReport, type LearnedRankerConfig } from './learned-judge.js';
import { InvalidInputError } from './errors.js';
import { methodsOf, type ExperimentConfig } from './config.js';
import { unitKey, type ExperimentResults } from './runner.js';
import { formatInterval, meanInterval, pairedDifference, signed, type Interval } from './stats.js';
import { preferenceInWorld } from './data.js';
import { parseJsonlLine } from './data/records.js';
import type { World } from './worlds/types.js';
import type { Preference } from '../selm/types.js';

/** The comparison's learned judge unless the config names one: the settings test/lab/learned-judge.test.ts checks. */
export const COMPARISON_LEARNED: LearnedRankerConfig = { ...DEFAULT_LEARNED, steps: 200, lr: 3e-3 };

/** The two experiments: `base` ranked by r*, and by a learned judge (the base's own, if it names one). */
export function judgeComparisonConfigs(base: ExperimentConfig): { trueReward: ExperimentConfig; learned: ExperimentConfig } {
  if (base.world.kind !== 'language')
    throw new InvalidInputError(
      `the judge comparison needs a world with a known r* and token sequences (the language world), got '${base.world.kind}'`,
    );
  const learned: LearnedRankerConfig = base.ranker.kind === 'learned' ? base.ranker : COMPARISON_LEARNED;
  return {
    trueReward: { ...base, name: `${base.name}-true-reward`, ranker: { kind: 'true-reward' } },
    learned: { ...base, name: `${base.name}-learned`, ranker: learned },
  };
}

/** How often a judge's choices in Algorithm 1 (the D_t it wrote) agree with r*. */
export interface RankedAgreement {
  rows: number;
  /** Rows read back into the world's tokens (truncated, retokenised or special-holding rows are skipped). */
  checked: number;
  /** Checked rows whose chosen and rejected r* separates. */
  separated: number;
  /** Of those, rows where the judge's chosen has the higher r*. */
  agree: number;
}

/**
 * The judge's agreement with r* on the pairs it actually chose, on the policies' own samples (y_ref against y_w
 * and y_l): where a learned judge is used out of its training distribution. `jsonl` is one D_t file's text.
 */
export function rankedAgreement(
  world: World,
  jsonl: string,
  into: RankedAgreement = { rows: 0, checked: 0, separated: 0, agree: 0 },
): RankedAgreement {
  jsonl.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    into.rows++;
    const flags = JSON.parse(raw) as { truncated?: boolean; retokenized?: boolean };
    if (flags.truncated || flags.retokenized) return;
    let triple: Preference;
    try {
      const record = parseJsonlLine(raw, `D_t:${i + 1}`, i + 1);
      if (record === null) return;
      triple = preferenceInWorld(record, world, `D_t:${i + 1}`);
    } catch {
      return; // a sampled y_ref holding a special token: not text of the world's vocabulary
    }
    into.checked++;
    const w = world.trueReward(triple.prompt, triple.chosen);
    const l = world.trueReward(triple.prompt, triple.rejected);
    if (w === l) return;
    into.separated++;
    if (w > l) into.agree++;
  });
  return into;
}

export interface JudgeComparisonRow {
  method: string;
  /** Mean r* on held-out prompts after the last iteration, over seeds. */
  trueReward: { sampled: Interval; greedy: Interval };
  learned: { sampled: Interval; greedy: Interval };
  /** learned − true-reward, paired by seed. */
  difference: { sampled: Interval; greedy: Interval };
}

export interface JudgeComparison {
  seeds: number[];
  iteration: number;
  /** SFT's mean r* (the same model under both judges). */
  sft: { sampled: Interval; greedy: Interval };
  rows: JudgeComparisonRow[];
  /** SELM − DPO under each judge, paired by seed. */
  selmMinusDpo: { trueReward: Interval; learned: Interval };
  judge: {
    config: LearnedRankerConfig;
    heldOutPairs: number;
    /** Agreement with the held-out labels (noisy Bradley–Terry draws from r*). */
    heldOutAccuracy: Interval;
    /** Agreement with r* on held-out pairs r* separates: the judge's accuracy as a ranker. */
    trueRewardAgreement: Interval;
    /** r*'s own agreement with the held-out labels: what a perfect judge scores on them. */
    labelCeiling: Interval;
    /** Agreement with r* on the pairs it chose in Algorithm 1 (D_t), per seed; absent when not measured. */
    rankedAgreement?: Interval;
    rankedPairs?: number;
  };
}

function finalEvals(results: ExperimentResults, method: string, iteration: number): ModelEval[] {
  return results.config.seeds.map((seed) => {
    const e = results.evals[method === 'SFT' ? unitKey(seed, 'SFT', 'sft') : unitKey(seed, method, iteration)];
    if (!e) throw new Error(`judge comparison: no evaluation of seed ${seed}, ${method}, iteration ${iteration}`);
    return e;
  });
}

/** The comparison from the two experiments' results and the learned judge's report per seed. */
export function compareJudges(
  trueReward: ExperimentResults,
  learned: ExperimentResults,
  reports: LearnedJudgeReport[],
  /** Per seed, the learned judge's agreement with r* over its D_t (rankedAgreement). */
  ranked: RankedAgreement[] = [],
): JudgeComparison {
  const T = trueReward.config.algorithm.iterations;
  const both = (method: string, iteration: number): { t: ModelEval[]; l: ModelEval[] } => ({
    t: finalEvals(trueReward, method, iteration),
    l: finalEvals(learned, method, iteration),
  });
  const sampled = (es: ModelEval[]): number[] => es.map((e) => e.meanSampled);
  const greedy = (es: ModelEval[]): number[] => es.map((e) => e.meanGreedy);
  const methods = methodsOf(trueReward.config).filter((m) => m.name === 'DPO' || m.name === 'SELM');
  const rows = methods.map(({ name }) => {
    const { t, l } = both(name, T);
    return {
      method: name,
      trueReward: { sampled: meanInterval(sampled(t)), greedy: meanInterval(greedy(t)) },
      learned: { sampled: meanInterval(sampled(l)), greedy: meanInterval(greedy(l)) },
      difference: { sampled: pairedDifference(sampled(l), sampled(t)), greedy: pairedDifference(greedy(l), greedy(t)) },
    };
  });
  const sft = finalEvals(trueReward, 'SFT', 0);
  const dpo = both('DPO', T);
  const selm = both('SELM', T);
  const of = (key: keyof LearnedJudgeReport): Interval => meanInterval(reports.map((r) => r[key] as number));
  return {
    seeds: trueReward.config.seeds,
    iteration: T,
    sft: { sampled: meanInterval(sampled(sft)), greedy: meanInterval(greedy(sft)) },
    rows,
    selmMinusDpo: {
      trueReward: pairedDifference(sampled(selm.t), sampled(dpo.t)),
      learned: pairedDifference(sampled(selm.l), sampled(dpo.l)),
    },
    judge: {
      config: learned.config.ranker as LearnedRankerConfig,
      heldOutPairs: reports[0]?.heldOutPairs ?? 0,
      heldOutAccuracy: of('heldOutAccuracy'),
      trueRewardAgreement: of('trueRewardAgreement'),
      labelCeiling: of('labelCeiling'),
      ...(ranked.length > 0
        ? {
            rankedAgreement: meanInterval(ranked.map((r) => r.agree / r.separated)),
            rankedPairs: ranked.reduce((a, r) => a + r.separated, 0),
          }
        : {}),
    },
  };
}

const excludesZero = (i: Interval): boolean => i.low > 0 || i.high < 0;

function verdict(i: Interval): string {
  if (Number.isNaN(i.halfWidth)) return 'one seed: no interval';
  return excludesZero(i)
    ? `the interval excludes 0 (${i.mean < 0 ? 'the learned judge costs' : 'the learned judge gains'})`
    : 'the interval includes 0';
}

/** The comparison as a markdown report (also what `selm judges` prints). */
export function judgeComparisonMarkdown(c: JudgeComparison): string {
  const j = c.judge;
  const pct = (i: Interval): string => `${formatInterval({ ...i, mean: i.mean * 100, halfWidth: i.halfWidth * 100 }, 1)}%`;
  const table = [
    '| method | r* sampled, r* judge | r* sampled, learned judge | learned − r* judge | r* greedy, r* judge | r* greedy, learned judge | learned − r* judge |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    `| SFT | ${formatInterval(c.sft.sampled)} | (same model) | | ${formatInterval(c.sft.greedy)} | (same model) | |`,
    ...c.rows.map(
      (r) =>
        `| ${r.method} | ${formatInterval(r.trueReward.sampled)} | ${formatInterval(r.learned.sampled)} | ${signed(r.difference.sampled)} | ${formatInterval(r.trueReward.greedy)} | ${formatInterval(r.learned.greedy)} | ${signed(r.difference.greedy)} |`,
    ),
  ];
  return [
    '# The learned judge against the true reward r*',
    '',
    `Language world; seeds ${c.seeds.join(', ')}; SFT, then ${c.iteration} iterations of Algorithm 1 with SELM and iterative DPO, ranked once by r* itself and once by a Bradley–Terry reward model on the GPT trunk trained on D (${j.config.steps} steps, batch ${j.config.batchSize}, lr ${j.config.lr}, ${Math.round(j.config.heldOutFraction * 100)}% of D held out). Both are evaluated with r* on held-out prompts after iteration ${c.iteration}; every number is a mean over seeds with its 95% interval (Student t), differences paired by seed.`,
    '',
    `**The judge** (${j.heldOutPairs} held-out pairs per seed): agrees with r* on ${pct(j.trueRewardAgreement)} of the held-out pairs r* separates; with the held-out labels (Bradley–Terry draws from r*) on ${pct(j.heldOutAccuracy)}, where r* itself agrees with ${pct(j.labelCeiling)}.${j.rankedAgreement ? ` On the pairs it chose in Algorithm 1 (D_t: the policies' own samples y_ref against y_w and y_l; ${j.rankedPairs} pairs r* separates, over all seeds), it agrees with r* on ${pct(j.rankedAgreement)}.` : ''}`,
    '',
    ...table,
    '',
    ...c.rows.map(
      (r) => `- ${r.method}: learned − r* judge, r* sampled ${signed(r.difference.sampled)}: ${verdict(r.difference.sampled)}.`,
    ),
    `- SELM − DPO, r* sampled: ${signed(c.selmMinusDpo.trueReward)} with the r* judge, ${signed(c.selmMinusDpo.learned)} with the learned judge.`,
    '',
  ].join('\n');
}
