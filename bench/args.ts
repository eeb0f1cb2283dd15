/**
 * Command-line flags of `npm run bench`, on Node's own `util.parseArgs` in strict mode, as the `selm` commands:
 * an unknown flag, a missing value, a bad value or a stray argument is a BenchUsageError (exit code 2).
 */
import { parseArgs as parseArgv } from 'node:util';

export type Section = 'kernels' | 'train' | 'generate' | 'memory';
export type ConfigName = 'tiny-gpt' | 'small-gpt';
export type OurBackend = 'cpu' | 'gpujs' | 'gpujs-1t' | 'wasm' | 'wasm-1t';

export interface BenchOptions {
  /** Also run TensorFlow.js (wasm and cpu backends) in this process, for the ratios. */
  peers: boolean;
  /** Fewer iterations and shorter time budgets: a smoke run, not a measurement. */
  quick: boolean;
  /** Only the smallest kernel sizes (the smoke test uses this). */
  tiny: boolean;
  sections: Section[];
  configs: ConfigName[];
  backends: OurBackend[];
  /** Measured training steps per engine and config, after `warmupSteps`. */
  trainSteps: number;
  warmupSteps: number;
  /** Steps of the memory check. */
  memorySteps: number;
  /** Folder the results JSON is written to; null writes nothing. */
  outDir: string | null;
}

export const ALL_SECTIONS: readonly Section[] = ['kernels', 'train', 'generate', 'memory'];
/** What a run without `--only` does: the memory check is long (2,000 steps), so it runs only when asked. */
export const DEFAULT_SECTIONS: readonly Section[] = ['kernels', 'train', 'generate'];
const CONFIGS: readonly ConfigName[] = ['tiny-gpt', 'small-gpt'];
const BACKENDS: readonly OurBackend[] = ['cpu', 'gpujs', 'gpujs-1t', 'wasm', 'wasm-1t'];

export const USAGE = `usage: node dist/bench.js [flags]
  --peers               also run TensorFlow.js (wasm and cpu backends) and print ours/theirs ratios
  --quick               few iterations, short budgets (a smoke run; timings are rough)
  --tiny                only the smallest kernel sizes (for the smoke test)
  --only LIST           comma-separated sections: kernels, train, generate, memory
                        (default: kernels,train,generate; memory runs only when named)
  --configs LIST        tiny-gpt,small-gpt (default both)
  --backends LIST       cpu,gpujs,gpujs-1t,wasm,wasm-1t (default all; -1t: held to one thread)
  --train-steps N       measured training steps per engine and config (default 20; 3 with --quick)
  --warmup-steps N      training steps run before measuring (default 3; 1 with --quick)
  --steps N             steps of the memory check (default 2000)
  --out DIR             write the results JSON into DIR (e.g. bench/results); without it nothing is written
  --no-write            write nothing (the default; kept for old scripts)
  -h, --help            this help (exit code 2 for a usage error, 1 for a failure while measuring)`;

export class BenchUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchUsageError';
  }
}

function parseList<T extends string>(flag: string, value: string, allowed: readonly T[]): T[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item))
      throw new BenchUsageError(`${flag}: unknown value '${item}' (expected ${allowed.join(', ')})`);
  }
  if (items.length === 0) throw new BenchUsageError(`${flag}: needs at least one of ${allowed.join(', ')}`);
  return items as T[];
}

function parseCount(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1)
    throw new BenchUsageError(`${flag}: expected a positive integer, got '${value}'`);
  return n;
}

const OPTIONS = {
  peers: { type: 'boolean' },
  quick: { type: 'boolean' },
  tiny: { type: 'boolean' },
  only: { type: 'string' },
  configs: { type: 'string' },
  backends: { type: 'string' },
  'train-steps': { type: 'string' },
  'warmup-steps': { type: 'string' },
  steps: { type: 'string' },
  out: { type: 'string' },
  'no-write': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The flags' raw values (typed from OPTIONS by parseArgs' own types). */
function flagValues(argv: readonly string[]) {
  try {
    return parseArgv({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new BenchUsageError(`${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
  }
}

/** Parses argv (without node and the script); throws a BenchUsageError naming the flag on bad input. */
export function parseArgs(argv: readonly string[]): BenchOptions | 'help' {
  const values = flagValues(argv);
  if (values.help === true) return 'help';
  if (values.out !== undefined && values['no-write'] === true) throw new BenchUsageError('--out and --no-write contradict each other');
  const quick = values.quick === true;
  const count = (flag: 'train-steps' | 'warmup-steps' | 'steps'): number | null => {
    const raw = values[flag];
    return raw === undefined ? null : parseCount(`--${flag}`, raw);
  };
  return {
    peers: values.peers === true,
    quick,
    tiny: values.tiny === true,
    sections: values.only === undefined ? [...DEFAULT_SECTIONS] : parseList('--only', values.only, ALL_SECTIONS),
    configs: values.configs === undefined ? [...CONFIGS] : parseList('--configs', values.configs, CONFIGS),
    backends: values.backends === undefined ? [...BACKENDS] : parseList('--backends', values.backends, BACKENDS),
    trainSteps: count('train-steps') ?? (quick ? 3 : 20),
    warmupSteps: count('warmup-steps') ?? (quick ? 1 : 3),
    memorySteps: count('steps') ?? 2000,
    outDir: values['no-write'] === true ? null : (values.out ?? null),
  };
}
