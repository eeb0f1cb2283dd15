/**
 * Command-line flags of `npm run bench`. Parsed by hand: the bench has few flags, and a parser dependency would
 * be one more thing to keep in step with Node.
 */
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
  --out DIR             results folder (default bench/results); --no-write writes nothing
  --help`;

function parseList<T extends string>(flag: string, value: string, allowed: readonly T[]): T[] {
  const items = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) throw new Error(`${flag}: unknown value '${item}' (expected ${allowed.join(', ')})`);
  }
  if (items.length === 0) throw new Error(`${flag}: needs at least one of ${allowed.join(', ')}`);
  return items as T[];
}

function parseCount(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag}: expected a positive integer, got '${value}'`);
  return n;
}

/** Parses argv (without node and the script); throws with a message naming the flag on bad input. */
export function parseArgs(argv: readonly string[]): BenchOptions | 'help' {
  let peers = false;
  let quick = false;
  let tiny = false;
  let sections: Section[] = [...DEFAULT_SECTIONS];
  let configs: ConfigName[] = [...CONFIGS];
  let backends: OurBackend[] = [...BACKENDS];
  let trainSteps: number | null = null;
  let warmupSteps: number | null = null;
  let memorySteps = 2000;
  let outDir: string | null = 'bench/results';
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag}: missing value`);
      return v;
    };
    switch (flag) {
      case '--peers': peers = true; break;
      case '--quick': quick = true; break;
      case '--tiny': tiny = true; break;
      case '--only': sections = parseList(flag, value(), ALL_SECTIONS); break;
      case '--configs': configs = parseList(flag, value(), CONFIGS); break;
      case '--backends': backends = parseList(flag, value(), BACKENDS); break;
      case '--train-steps': trainSteps = parseCount(flag, value()); break;
      case '--warmup-steps': warmupSteps = parseCount(flag, value()); break;
      case '--steps': memorySteps = parseCount(flag, value()); break;
      case '--out': outDir = value(); break;
      case '--no-write': outDir = null; break;
      case '--help': case '-h': return 'help';
      default: throw new Error(`unknown flag '${flag}'\n${USAGE}`);
    }
  }
  return {
    peers,
    quick,
    tiny,
    sections,
    configs,
    backends,
    trainSteps: trainSteps ?? (quick ? 3 : 20),
    warmupSteps: warmupSteps ?? (quick ? 1 : 3),
    memorySteps,
    outDir,
  };
}
