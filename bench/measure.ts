/** Timing and memory helpers shared by every bench section: tinybench for timing, /proc-backed RSS for memory. */
import { Bench } from 'tinybench';

export interface Timing {
  /** Median latency of the measured iterations, in milliseconds. */
  medianMs: number;
  meanMs: number;
  minMs: number;
  /** Measured iterations (warm-up not counted). */
  samples: number;
}

export interface TimingBudget {
  /** Least number of measured iterations. */
  iterations: number;
  /** Least measuring time in ms (0: exactly `iterations`). */
  timeMs: number;
  warmupIterations: number;
  warmupTimeMs: number;
}

/**
 * Times a synchronous function with tinybench: warm-up iterations first (JIT, gpu.js kernel builds, caches),
 * then at least `iterations` runs and at least `timeMs` ms. Errors are thrown, never swallowed into a result.
 */
export function timeSync(name: string, fn: () => void, budget: TimingBudget): Timing {
  const bench = new Bench({
    name,
    iterations: budget.iterations,
    time: budget.timeMs,
    warmup: budget.warmupIterations > 0,
    warmupIterations: budget.warmupIterations,
    warmupTime: budget.warmupTimeMs,
    throws: true,
  });
  bench.add(name, fn);
  const [task] = bench.runSync();
  const result = task?.result;
  if (!result || !('latency' in result)) throw new Error(`bench ${name}: no result (state ${result?.state ?? 'missing'})`);
  return { medianMs: result.latency.p50, meanMs: result.latency.mean, minMs: result.latency.min, samples: result.latency.samplesCount };
}

export function rssMb(): number {
  return process.memoryUsage.rss() / (1024 * 1024);
}

/** The process's RSS high-water mark since it started (the kernel's maxrss), in MB. */
export function maxRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median: empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Least-squares slope of y against x. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2 || ys.length !== n) return Number.NaN;
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  return sxx === 0 ? Number.NaN : sxy / sxx;
}

export interface StepMeasurement {
  timing: Timing;
  /** Median CPU time (user + system, every thread of the process) per measured step, in ms. */
  cpuMsMedian: number;
  /** Highest RSS sampled after each step, warm-up included, in MB. */
  peakRssMb: number;
  rssBeforeMb: number;
}

/**
 * Runs `warmup` steps, then times `steps` more with tinybench (exactly that many), sampling RSS after each step
 * and the process's CPU time around each measured one: CPU time above wall time means helper threads worked.
 */
export function measureSteps(name: string, step: () => void, steps: number, warmup: number, afterWarmup?: () => void): StepMeasurement {
  const rssBeforeMb = rssMb();
  let peakRssMb = rssBeforeMb;
  for (let w = 0; w < warmup; w++) {
    step();
    peakRssMb = Math.max(peakRssMb, rssMb());
  }
  afterWarmup?.();
  const cpuMs: number[] = [];
  const timing = timeSync(
    name,
    () => {
      const before = process.cpuUsage();
      step();
      const used = process.cpuUsage(before);
      cpuMs.push((used.user + used.system) / 1000);
      peakRssMb = Math.max(peakRssMb, rssMb());
    },
    { iterations: steps, timeMs: 0, warmupIterations: 0, warmupTimeMs: 0 },
  );
  return { timing, cpuMsMedian: median(cpuMs), peakRssMb, rssBeforeMb };
}
