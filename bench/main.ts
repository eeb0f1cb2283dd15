/**
 * `npm run bench`: the performance suite of issue 6 (kernels, training step, generation, memory), optionally
 * against TensorFlow.js (--peers). See bench/args.ts for the flags, bench/README.md for what each number means.
 */
import { parseArgs, USAGE } from './args.js';
import { runBench } from './run.js';

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  if (opts === 'help') {
    console.log(USAGE);
    return;
  }
  await runBench(opts);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
