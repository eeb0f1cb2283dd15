/** The worker thread of node/parallel.ts: runs one seed's comparison per message and posts its metrics back. */
import { parentPort } from 'node:worker_threads';
import { runComparisonSeed } from '../exploration.js';
import type { SeedJob } from '../study.js';

parentPort?.on('message', ({ index, job }: { index: number; job: SeedJob }) => {
  try {
    parentPort!.postMessage({ index, result: runComparisonSeed(job.world, job.algorithm, job.methods, job.seed, job.options) });
  } catch (e) {
    parentPort!.postMessage({ index, error: e instanceof Error ? e.message : String(e) });
  }
});
