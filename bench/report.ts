/** The results file and the printed tables. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { KernelRow } from './kernels.js';
import type { TrainRow } from './train-row.js';

export interface GenerationRow {
  engine: 'selm-ts';
  backend: string;
  config: 'tiny-gpt' | 'small-gpt';
  kvCache: boolean;
  batch: number;
  promptLength: number;
  newTokens: number;
  medianMs: number;
  /** Generated tokens (batch * newTokens) per second. */
  tokensPerSec: number;
  samples: number;
}

/** Ours against a peer on one config: tokens/s of ours divided by the peer's (above 1: ours is faster). */
export interface RatioRow {
  config: 'tiny-gpt' | 'small-gpt';
  ours: string;
  peer: string;
  ratio: number;
}

export interface MemoryReport {
  config: 'tiny-gpt';
  backend: string;
  steps: number;
  /** RSS (MB) after the step numbered by the key, a forced GC first when `gcForced`. */
  rssAtStepMb: Record<string, number>;
  heapUsedAtStepMb: Record<string, number>;
  /** Least-squares slope of RSS over the samples after warm-up (step 100 on), in MB per 1,000 steps. */
  rssSlopeMbPer1000Steps: number;
  heapSlopeMbPer1000Steps: number;
  gcForced: boolean;
  seconds: number;
  medianStepMs: number;
}

export interface BenchResults {
  meta: Record<string, unknown>;
  kernels: KernelRow[];
  trainStep: TrainRow[];
  ratios: RatioRow[];
  generation: GenerationRow[];
  memory: MemoryReport | null;
}

/** bench/results/<YYYY-MM-DD>-<hostname>.json (local date). */
export function resultsPath(dir: string, date = new Date()): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  const host = hostname().replace(/[^A-Za-z0-9._-]/g, '_');
  return join(dir, `${day}-${host}.json`);
}

export function writeResults(dir: string, results: BenchResults): string {
  mkdirSync(dir, { recursive: true });
  const path = resultsPath(dir);
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  return path;
}

/** A plain text table, numbers right-aligned. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => /^[-+0-9.,x%]*$/.test(r[i] ?? '')));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function fmt(x: number | null, digits = 2): string {
  if (x === null || !Number.isFinite(x)) return '-';
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  return x.toFixed(digits);
}

/**
 * Kernel rows as a table: a line per case (in first-seen order), led by `lead(row)`, then a column group per
 * backend holding `cells(row)`, or '-' where that backend has no row for the case.
 */
function byBackend(
  rows: readonly KernelRow[],
  leadHeaders: readonly string[],
  lead: (r: KernelRow) => string[],
  groupHeaders: (backend: string) => string[],
  cells: (r: KernelRow) => string[],
): string {
  const backends = [...new Set(rows.map((r) => r.backend))];
  const firsts: KernelRow[] = [];
  for (const r of rows) if (!firsts.some((c) => c.kernel === r.kernel && c.case === r.case)) firsts.push(r);
  const body = firsts.map((c) => [
    ...lead(c),
    ...backends.flatMap((b) => {
      const r = rows.find((x) => x.backend === b && x.kernel === c.kernel && x.case === c.case);
      return r ? cells(r) : groupHeaders(b).map(() => '-');
    }),
  ]);
  return table([...leadHeaders, ...backends.flatMap(groupHeaders)], body);
}

/** One row per kernel case, one column group per backend. */
export function kernelTable(rows: readonly KernelRow[]): string {
  return byBackend(
    rows,
    ['kernel', 'case'],
    (r) => [r.kernel, r.case],
    (b) => [`${b} ms`, `${b} GFLOPS|ns/el`],
    (r) => [fmt(r.medianMs, 3), r.gflops !== null ? fmt(r.gflops) : fmt(r.nsPerElement)],
  );
}

/** The matmul cases' minor page faults per call, one column per backend. */
export function faultTable(rows: readonly KernelRow[]): string {
  return byBackend(
    rows.filter((r) => r.kernel === 'matmul'),
    ['case'],
    (r) => [r.case],
    (b) => [b],
    (r) => [fmt(r.faultsPerCall, 1)],
  );
}

export function trainTable(rows: readonly TrainRow[]): string {
  return table(
    [
      'engine',
      'backend',
      'config',
      'median ms',
      'tokens/s',
      'min ms',
      'CPU ms',
      'peak RSS MB',
      'steps',
      'params',
      'first loss',
      'last loss',
    ],
    rows.map((r) => [
      r.engine,
      r.backend,
      r.config,
      fmt(r.medianMs, 1),
      fmt(r.tokensPerSec, 0),
      fmt(r.minMs, 1),
      fmt(r.cpuMs, 1),
      fmt(r.peakRssMb, 0),
      String(r.steps),
      String(r.params),
      fmt(r.firstLoss, 4),
      fmt(r.lastLoss, 4),
    ]),
  );
}

export function ratioTable(rows: readonly RatioRow[]): string {
  return table(
    ['config', 'ours', 'peer', 'ours/theirs (tokens/s)'],
    rows.map((r) => [r.config, r.ours, r.peer, `${fmt(r.ratio, 3)}x`]),
  );
}

export function generationTable(rows: readonly GenerationRow[]): string {
  return table(
    ['backend', 'config', 'KV cache', 'batch', 'prompt', 'new tokens', 'median ms', 'tokens/s'],
    rows.map((r) => [
      r.backend,
      r.config,
      r.kvCache ? 'yes' : 'no',
      String(r.batch),
      String(r.promptLength),
      String(r.newTokens),
      fmt(r.medianMs, 1),
      fmt(r.tokensPerSec, 1),
    ]),
  );
}

export function memoryTable(m: MemoryReport): string {
  const steps = Object.keys(m.rssAtStepMb);
  return [
    table(
      ['step', ...steps],
      [
        ['RSS MB', ...steps.map((s) => fmt(m.rssAtStepMb[s]!, 1))],
        ['heap MB', ...steps.map((s) => fmt(m.heapUsedAtStepMb[s]!, 1))],
      ],
    ),
    `slope after warm-up: RSS ${fmt(m.rssSlopeMbPer1000Steps, 3)} MB / 1000 steps, heap ${fmt(m.heapSlopeMbPer1000Steps, 3)} MB / 1000 steps` +
      ` (${m.steps} steps of ${m.config} on ${m.backend} in ${fmt(m.seconds, 1)} s, median step ${fmt(m.medianStepMs, 1)} ms${m.gcForced ? ', GC forced before each sample' : ''})`,
  ].join('\n');
}
