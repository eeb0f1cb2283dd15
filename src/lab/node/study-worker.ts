/** The worker thread of node/parallel.ts: runs one seed's comparison per message and posts its metrics back. */
import { parentPort } from 'node:worker_threads';
import { runSeedJob, type SeedJob } from '../study.js';

parentPort?.on('message', ({ index, job }: { index: number; job: SeedJob }) => {
  try {
    parentPort!.postMessage({ index, result: runSeedJob(job) });
  } catch (e) {
    parentPort!.postMessage({ index, error: e instanceof Error ? e.message : String(e) });
  }
});
