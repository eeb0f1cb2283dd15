/**
 * Seeds of a study on worker threads (Node only): each worker runs `runComparisonSeed` on one seed at a time,
 * taking the next job when it finishes, so `npm start` can afford 100+ paired evaluation seeds on 2 cores.
 * The worker script is the built dist/study-worker.js beside the bundle; where it does not exist (tests run
 * the TypeScript sources) or one thread is asked for, seeds run in process, with the same results: every seed's
 * randomness comes from its own generators, never from the order seeds run in.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SeedComparison } from '../exploration.js';
import { runSeedsInProcess, type SeedRunner } from '../study.js';

/** The worker script's location: next to the running bundle. */
export function studyWorkerPath(): string {
  return fileURLToPath(new URL('./study-worker.js', import.meta.url));
}

/** A runner on `threads` worker threads (default: the machine's parallelism), or in process when it cannot. */
export function workerSeedRunner(threads = availableParallelism()): SeedRunner {
  const script = studyWorkerPath();
  if (threads <= 1 || !existsSync(script)) return runSeedsInProcess;
  return (jobs) =>
    new Promise<SeedComparison[]>((resolve, reject) => {
      const results: SeedComparison[] = new Array<SeedComparison>(jobs.length);
      let next = 0;
      let done = 0;
      let failed = false;
      const workers = Array.from({ length: Math.min(threads, jobs.length) }, () => new Worker(script));
      const finish = (error?: Error): void => {
        for (const w of workers) void w.terminate();
        if (error) reject(error);
        else resolve(results);
      };
      const feed = (w: Worker): void => {
        if (next >= jobs.length) return;
        const index = next++;
        w.postMessage({ index, job: jobs[index]! });
      };
      if (jobs.length === 0) return resolve([]);
      for (const w of workers) {
        w.on('message', (m: { index: number; result?: SeedComparison; error?: string }) => {
          if (failed) return;
          if (m.error !== undefined || m.result === undefined) {
            failed = true;
            return finish(new Error(`seed ${jobs[m.index]?.seed}: ${m.error ?? 'no result'}`));
          }
          results[m.index] = m.result;
          if (++done === jobs.length) return finish();
          feed(w);
        });
        w.on('error', (e) => {
          if (!failed) {
            failed = true;
            finish(e);
          }
        });
        feed(w);
      }
    });
}
