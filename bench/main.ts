/**
 * `npm run bench`: the performance suite of issue 6 (kernels, training step, generation, memory), optionally
 * against TensorFlow.js (--peers). See bench/args.ts for the flags, bench/README.md for what each number means.
 */
import { BenchUsageError, parseArgs, USAGE } from './args.js';
import { runBench } from './run.js';

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  if (opts === 'help') {
    console.log(USAGE);
    return;
  }
  await runBench(opts);
}

// Exit codes as the selm commands': 2 for a usage error (with the message alone), 1 for a failure while measuring.
main().catch((error: unknown) => {
  if (error instanceof BenchUsageError) {
    console.error(`bench: ${error.message}`);
    process.exit(2);
  }
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
