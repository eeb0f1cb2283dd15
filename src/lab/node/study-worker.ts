/** The worker thread of node/parallel.ts: runs one seed's comparison per message and posts its metrics back. */
import { parentPort } from 'node:worker_threads';
import { runSeedJob, type SeedJob } from '../study.js';

// The study already runs one worker per core: a GPT on the wasm backend (model.backend) keeps its products on
// this thread rather than waking helper threads of its own, which would contend with the other workers. Its
// results are the same bits on any number of threads.
process.env.SELM_WASM_THREADS ??= '1';

parentPort?.on('message', ({ index, job }: { index: number; job: SeedJob }) => {
  try {
    parentPort!.postMessage({ index, result: runSeedJob(job) });
  } catch (e) {
    parentPort!.postMessage({ index, error: e instanceof Error ? e.message : String(e) });
  }
});
