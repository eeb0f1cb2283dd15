/**
 * The memory check (issue 6, item 4): train tiny-gpt for many steps and watch the process's RSS after warm-up.
 * A benchmark check, reported, not a test: RSS at steps 100, 500, 1000, 2000 (those within --steps, and the
 * last) and the least-squares slope over samples taken every 50 steps from step 100 on (for runs shorter than
 * 400 steps: from a quarter of the run, every 1/40 of it).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { trainStep } from '../src/nn/train.js';
import type { OurBackend } from './args.js';
import { onBackend } from './backends.js';
import { makeBatches } from './batch.js';
import { REFERENCE_DIMS } from './dims.js';
import { median, rssMb, slope } from './measure.js';
import { buildModel, toTrainBatch } from './model.js';
import type { MemoryReport } from './report.js';

const CHECKPOINTS = [100, 500, 1000, 2000];
const SAMPLE_EVERY = 50;

/** A full GC, when Node lets us have one: --expose-gc, or enabled at run time through V8's flags. */
function gcFunction(): (() => void) | null {
  const global = globalThis as { gc?: () => void };
  if (typeof global.gc === 'function') return global.gc;
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    return null;
  }
}

export function memoryCheck(backend: OurBackend, steps: number, log: (line: string) => void): MemoryReport {
  return onBackend(backend, (): MemoryReport => {
    const { model, optimizer } = buildModel('tiny-gpt');
    const batches = makeBatches(REFERENCE_DIMS['tiny-gpt'], 8, 1).map(toTrainBatch);
    const gc = gcFunction();
    const rssAt: Record<string, number> = {};
    const heapAt: Record<string, number> = {};
    const xs: number[] = [];
    const rss: number[] = [];
    const heap: number[] = [];
    const stepMs: number[] = [];
    const warm = Math.min(100, Math.ceil(steps / 4));
    const every = Math.max(1, Math.min(SAMPLE_EVERY, Math.floor(steps / 40)));
    const started = performance.now();
    for (let s = 1; s <= steps; s++) {
      const t0 = performance.now();
      trainStep(model, optimizer, batches[s % batches.length]!);
      stepMs.push(performance.now() - t0);
      const checkpoint = CHECKPOINTS.includes(s) || s === steps || s === warm;
      if (s >= warm && (s % every === 0 || checkpoint)) {
        gc?.();
        const r = rssMb();
        const h = process.memoryUsage().heapUsed / (1024 * 1024);
        xs.push(s);
        rss.push(r);
        heap.push(h);
        if (checkpoint) {
          rssAt[String(s)] = r;
          heapAt[String(s)] = h;
          log(
            `  memory: step ${s}: RSS ${r.toFixed(1)} MB, heap ${h.toFixed(1)} MB (${((performance.now() - started) / 1000).toFixed(1)} s)`,
          );
        }
      }
    }
    return {
      config: 'tiny-gpt',
      backend,
      steps,
      rssAtStepMb: rssAt,
      heapUsedAtStepMb: heapAt,
      rssSlopeMbPer1000Steps: slope(xs, rss) * 1000,
      heapSlopeMbPer1000Steps: slope(xs, heap) * 1000,
      gcForced: gc !== null,
      seconds: (performance.now() - started) / 1000,
      medianStepMs: median(stepMs),
    };
  });
}
