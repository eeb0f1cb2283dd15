/**
 * Runs the sections a BenchOptions asks for, in one process: kernels, training step, generation, memory; with
 * --peers, TensorFlow.js's training step (and kernels) in the same run, and the ours/theirs ratios.
 */
import { execFileSync } from 'node:child_process';
import { cpus, hostname, loadavg } from 'node:os';
import { getBackend, setBackend } from '../src/autograd/index.js';
import { gpujsInfo } from '../src/autograd/backend/index.js';
import type { BenchOptions, OurBackend } from './args.js';
import { singleThreadedInfo, wasmInfo } from './backends.js';
import { makeBatches } from './batch.js';
import { REFERENCE_DIMS } from './dims.js';
import { ourGenerationRows } from './generate.js';
import { kernelCases, type MatmulCase } from './kernel-cases.js';
import { kernelBudget, ourKernelRunner, runKernels } from './kernels.js';
import { maxRssMb } from './measure.js';
import { memoryCheck } from './memory.js';
import { initialWeights, referenceConfig } from './model.js';
import {
  faultTable,
  generationTable,
  kernelTable,
  memoryTable,
  ratioTable,
  trainTable,
  writeResults,
  type BenchResults,
  type RatioRow,
} from './report.js';
import { ourTrainRow } from './train.js';
import type { TrainRow } from './train-row.js';

export interface BenchRun {
  results: BenchResults;
  /** Where the JSON was written; null with --no-write. */
  path: string | null;
}

/** The peer's order: cpu first, wasm last (the wasm heap never shrinks, and would count in later RSS figures). */
const PEER_BACKENDS = ['cpu', 'wasm'] as const;

export async function runBench(opts: BenchOptions, log: (line: string) => void = console.log): Promise<BenchRun> {
  const started = performance.now();
  const previousBackend = getBackend().name;
  // Loaded only when asked for: a run without --peers must not need TensorFlow.js at all.
  const peers = opts.peers ? await loadPeers() : null;
  // PyTorch (CPU) is the native peer, where a python3 with torch is installed.
  const wantsTorch = peers !== null && (opts.sections.includes('train') || opts.sections.includes('kernels'));
  const torch = wantsTorch ? peers.torch.findTorch() : null;
  if (wantsTorch && !torch) log(peers.torch.TORCH_INSTALL_HINT);
  const torchMeta: {
    python: string;
    version: string;
    runs: { config: string; threads: number; matmulGflops512: number }[];
    optimised: boolean | null;
  } | null = torch ? { ...torch, runs: [], optimised: null } : null;
  const results: BenchResults = {
    meta: {
      date: new Date().toISOString(),
      hostname: hostname(),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      argv: process.argv.slice(2),
      git: gitState(),
      options: opts,
      // A shared machine's other work shows here: 1-, 5- and 15-minute load averages at the start and the end.
      loadAverageStart: loadavg(),
    },
    kernels: [],
    trainStep: [],
    ratios: [],
    generation: [],
    memory: null,
  };

  const sectionSeconds: Record<string, number> = {};
  let sectionStart = performance.now();
  const endSection = (name: string): void => {
    sectionSeconds[name] = (performance.now() - sectionStart) / 1000;
    sectionStart = performance.now();
  };

  if (opts.sections.includes('kernels')) {
    const cases = kernelCases(opts.tiny, opts.configs);
    const budget = kernelBudget(opts.quick);
    for (const backend of opts.backends) {
      log(`kernels: ${backend} (${cases.length} cases)`);
      results.kernels.push(...runKernels(ourKernelRunner(backend), cases, budget, backend));
    }
    if (peers) {
      for (const backend of PEER_BACKENDS) {
        log(`kernels: tfjs-${backend}`);
        await peers.setup.useTfBackend(backend);
        results.kernels.push(...runKernels(peers.kernels.tfKernelRunner(backend), cases, budget, null));
      }
      if (torch) {
        // The native column: the matmul cases only (its elementwise and row ops are not what the targets ask).
        log('kernels: torch-1t (matmul cases)');
        const matmuls = cases.filter((c): c is MatmulCase => c.kind === 'matmul');
        results.kernels.push(...peers.torch.torchKernelRows(torch, 1, matmuls, budget));
      }
    }
    log(`\nKernels (median ms; GFLOPS for matmul, ns per element otherwise)\n${kernelTable(results.kernels)}\n`);
    log(`Matmul: minor page faults per call (a fresh result's pages)\n${faultTable(results.kernels)}\n`);
    endSection('kernels');
  }

  if (opts.sections.includes('train')) {
    for (const config of opts.configs) {
      const batches = makeBatches(REFERENCE_DIMS[config], 4, 1);
      for (const backend of opts.backends) {
        log(`train: selm-ts ${backend} ${config}`);
        results.trainStep.push(ourTrainRow(backend, config, batches, opts.trainSteps, opts.warmupSteps));
      }
      if (peers) {
        const ref = referenceConfig(config);
        const initial = initialWeights(config);
        const params = [...initial.values()].reduce((n, w) => n + w.length, 0);
        const [beta1, beta2] = ref.optimizer.betas ?? [0.9, 0.999];
        const spec = {
          params,
          initial,
          optimizer: {
            bias: true,
            lr: ref.optimizer.lr ?? 1e-3,
            beta1,
            beta2,
            eps: ref.optimizer.eps ?? 1e-8,
            // Our AdamW gets model.parameters() as one group: decay (0 for the reference configs) applies to all.
            weightDecay: ref.optimizer.weightDecay ?? 0.01,
            decays: () => true,
            layerNormEps: 1e-5,
            maxGradNorm: 1.0,
          },
        };
        for (const backend of PEER_BACKENDS) {
          log(`train: tfjs-${backend} ${config}`);
          results.trainStep.push(await peers.train.tfTrainRow(backend, config, spec, batches, opts.trainSteps, opts.warmupSteps));
        }
        for (const threads of torch ? [1, 2] : []) {
          log(`train: torch-${threads}t ${config}`);
          const run = peers.torch.torchTrainRow(torch!, threads, config, spec, batches, opts.trainSteps, opts.warmupSteps);
          results.trainStep.push(run.row);
          torchMeta!.runs.push({ config, threads, matmulGflops512: run.matmulGflops512 });
          if (threads === 1) {
            const ok = run.matmulGflops512 >= peers.torch.MIN_OPTIMISED_GFLOPS;
            torchMeta!.optimised = (torchMeta!.optimised ?? true) && ok;
            if (!ok)
              log(
                `torch: ${run.matmulGflops512.toFixed(1)} GFLOPS at 512 on one thread (< ${peers.torch.MIN_OPTIMISED_GFLOPS}): not an optimised BLAS, left out of the ratios`,
              );
          }
        }
        checkFirstLosses(results.trainStep.filter((r) => r.config === config));
      }
    }
    // A PyTorch without an optimised BLAS is reported, not compared against.
    results.ratios = ratios(results.trainStep).filter((r) => !(r.peer.startsWith('torch') && torchMeta?.optimised === false));
    log(
      `\nTraining step (float32, forward + backward + clip + AdamW; median of ${opts.trainSteps} steps after ${opts.warmupSteps} warm-up)\n${trainTable(results.trainStep)}\n`,
    );
    if (results.ratios.length > 0) log(`Ours / theirs, tokens per second (above 1: ours is faster)\n${ratioTable(results.ratios)}\n`);
    endSection('train');
  }

  if (opts.sections.includes('generate')) {
    for (const config of opts.configs) {
      for (const backend of opts.backends) {
        log(`generate: ${backend} ${config}`);
        results.generation.push(...ourGenerationRows(backend, config, opts.quick));
      }
    }
    log(`\nGeneration (greedy, one-token prompts to the full context)\n${generationTable(results.generation)}\n`);
    endSection('generate');
  }

  if (opts.sections.includes('memory')) {
    const backend: OurBackend = opts.backends.includes('gpujs') ? 'gpujs' : 'cpu';
    log(`memory: tiny-gpt on ${backend}, ${opts.memorySteps} steps`);
    results.memory = memoryCheck(backend, opts.memorySteps, log);
    log(`\nMemory (tiny-gpt training)\n${memoryTable(results.memory)}\n`);
    endSection('memory');
  }

  setBackend(previousBackend);
  results.meta.loadAverageEnd = loadavg();
  results.meta.tfjs = peers ? await peers.setup.tfInfo() : null;
  results.meta.torch = torchMeta;
  results.meta.gpujs = gpujsInfo();
  results.meta['gpujs-1t'] = singleThreadedInfo();
  Object.assign(results.meta, wasmInfo());
  results.meta.maxRssMb = maxRssMb();
  results.meta.sectionSeconds = sectionSeconds;
  const seconds = (performance.now() - started) / 1000;
  results.meta.seconds = seconds;
  log(
    `done in ${seconds.toFixed(0)} s (${Object.entries(sectionSeconds)
      .map(([k, v]) => `${k} ${v.toFixed(0)} s`)
      .join(', ')})`,
  );
  const path = opts.outDir === null ? null : writeResults(opts.outDir, results);
  if (path) log(`results: ${path}`);
  return { results, path };
}

/** The commit measured, and whether the working tree had changes (the numbers are then for those too). */
function gitState(): { commit: string; dirty: boolean } | null {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return { commit, dirty: status.trim().length > 0 };
  } catch {
    return null;
  }
}

async function loadPeers() {
  const [setup, kernels, train, torch] = await Promise.all([
    import('./peers/tfjs-setup.js'),
    import('./peers/tfjs-kernels.js'),
    import('./peers/tfjs-train.js'),
    import('./peers/torch.js'),
  ]);
  return { setup, kernels, train, torch };
}

/** ours/theirs tokens per second, for every pair of our backend and peer engine on the same config. */
export function ratios(rows: readonly TrainRow[]): RatioRow[] {
  const out: RatioRow[] = [];
  for (const ours of rows.filter((r) => r.engine === 'selm-ts')) {
    for (const peer of rows.filter((r) => r.engine !== 'selm-ts' && r.config === ours.config)) {
      out.push({ config: ours.config, ours: `selm-ts ${ours.backend}`, peer: peer.engine, ratio: ours.tokensPerSec / peer.tokensPerSec });
    }
  }
  return out;
}

/**
 * Every engine starts from our initial weights and trains first on the same batch, so their first losses are
 * the same number up to float32 rounding; anything more means the peer is not the same model.
 */
function checkFirstLosses(rows: readonly TrainRow[]): void {
  const [first, ...rest] = rows;
  if (!first) return;
  for (const r of rest) {
    if (!(Math.abs(r.firstLoss - first.firstLoss) <= 1e-4 * Math.max(1, Math.abs(first.firstLoss)))) {
      throw new Error(
        `${r.config}: first loss ${r.engine} ${r.backend} ${r.firstLoss} differs from ${first.engine} ${first.backend} ${first.firstLoss}`,
      );
    }
  }
}
