/**
 * A synchronous pool of helper threads for gpu.js's WebAssembly kernels, so the (synchronous) Backend contract
 * can use more than one core.
 *
 * gpu.js splits a webasm kernel over workers only under its Promise contract. Its compiled modules are plain
 * `run(start, end, seed)` / `run_simd(start, end, seed)` loops over output cells, though, and a module built
 * for that contract imports a shared WebAssembly.Memory: any thread that instantiates the module over that
 * memory computes the same cells into the same place. So the calling thread writes the arguments into the
 * memory, wakes the helpers, and everyone claims chunks of cells from a shared counter until none are left;
 * the calling thread then blocks (Atomics.wait) until every claimed chunk is finished.
 *
 * Chunks are claimed, not assigned: on a busy machine a helper that is not scheduled simply claims nothing, and
 * the calling thread does the work itself instead of waiting for it.
 *
 * Node only: helpers are worker_threads, found through `process.getBuiltinModule` (no import, so browser
 * bundles stay clean); blocking the main thread with Atomics.wait is allowed in Node and not in a browser's
 * main thread. Where either is missing, `createThreadPool` returns null and kernels run on the calling thread.
 *
 * Protocol (one Int32Array over a SharedArrayBuffer):
 * - WORK = generation << 16 | next chunk. The caller publishes a run by closing WORK (chunk index CLOSED, which
 *   no run reaches), writing the parameters, then opening WORK at chunk 0 under a new generation. Chunks are
 *   claimed by compare-and-swap on WORK, so a helper that wakes late, holding a stale WORK, can never claim a
 *   chunk of a later run, and a successful claim proves the parameters it read belong to that run (the caller
 *   writes the next run's only after closing, and closes only after every chunk of this run is finished).
 * - FINISHED counts finished chunks of the current run; the caller waits on it.
 * - WAKE is bumped once per run; idle helpers sleep on it.
 * - Module set-up and release travel as messages on a MessagePort, read synchronously by the helper
 *   (`receiveMessageOnPort`) before it claims anything, so a module is always instantiated before its first
 *   chunk. A helper that fails (a trap) records the error, still counts its chunk as finished (the caller
 *   never hangs) and the caller throws it.
 */

/** What a helper needs to run a kernel module: the compiled module, its shared memory, its Math imports. */
export interface SharedModule {
  /** Unique per module in this process (gpu.js entry ids are). */
  readonly id: number;
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  /** Names of the `Math` functions the module imports as `env.math_<name>`. */
  readonly mathImports: readonly string[];
  /** Output row width (gpu.js's thread x size): run_simd needs 4-aligned ranges inside whole rows. */
  readonly sizeX: number;
}

/** The module's exports the pool calls: cells [start, end) with a random seed. */
export type RangeRunner = (start: number, end: number, seed: number) => void;

export interface ThreadPool {
  /** Helper threads (the calling thread works as well). */
  readonly helpers: number;
  /**
   * Computes cells [0, cells) of `module`: the calling thread through `runLocal`, helpers through their own
   * instances. Returns when all cells are done; throws what a helper threw.
   */
  run(module: SharedModule, cells: number, runLocal: RangeRunner): void;
  /** Chunks the helpers have computed so far (the rest ran on the calling thread). */
  helperChunks(): number;
  /** Errors of helpers that died (reported by worker_threads when the event loop ran); empty normally. */
  errors(): string[];
  /** Drops the helpers' instances of a module (their reference keeps its memory alive). */
  release(id: number): void;
  destroy(): void;
}

// Slots of the control array (each on its own 64-byte line, so claiming does not bounce the others' lines).
const WORK = 0;
const FINISHED = 16;
const WAKE = 32;
const MODULE_ID = 48;
const CELLS = 49;
const CHUNK = 50;
const FAILED = 64;
const HELPER_CHUNKS = 65;
const CONTROL_INTS = 80;

/** A chunk index no run reaches: WORK holds it while a run's parameters are being written. */
const CLOSED = 0xffff;
const MAX_CHUNKS = 0xfff0;
/** Polls of a shared word before blocking on it (roughly 10-50 microseconds). */
const SPIN = 20_000;
/** How long the caller waits for a claimed chunk before it decides a helper died (a chunk takes milliseconds). */
const HELPER_TIMEOUT_MS = 30_000;

/**
 * The helper's body: a CommonJS script evaluated by worker_threads (`eval: true`), with nothing captured from
 * this module. It mirrors `runRange` below.
 */
const HELPER_SOURCE = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const control = new Int32Array(workerData.control);
const port = workerData.port;
const instances = new Map();
let seen = 0;
function runRange(entry, start, end) {
  if (entry.sizeX % 4 === 0 && entry.runSimd) { entry.runSimd(start, end, 0); return; }
  for (let row = start; row < end; row += entry.sizeX) {
    const quads = entry.runSimd ? entry.sizeX & ~3 : 0;
    if (quads > 0) entry.runSimd(row, row + quads, 0);
    entry.run(row + quads, row + entry.sizeX, 0);
  }
}
function readMessages() {
  for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
    const msg = m.message;
    if (msg.type === 'setup') {
      const env = { memory: msg.memory };
      for (const name of msg.mathImports) env['math_' + name] = Math[name];
      const exports = new WebAssembly.Instance(msg.module, { env }).exports;
      instances.set(msg.id, { run: exports.run, runSimd: exports.run_simd || null, sizeX: msg.sizeX });
    } else if (msg.type === 'release') {
      instances.delete(msg.id);
    } else if (msg.type === 'exit') {
      process.exit(0);
    }
  }
}
for (;;) {
  // The next run usually follows within microseconds (a training step is a burst of kernels): poll a little
  // before sleeping, since a futex wake costs tens of microseconds.
  for (let spin = 0; spin < ${SPIN} && Atomics.load(control, ${WAKE}) === seen; spin++);
  Atomics.wait(control, ${WAKE}, seen);
  seen = Atomics.load(control, ${WAKE});
  readMessages();
  for (;;) {
    const work = Atomics.load(control, ${WORK});
    const id = Atomics.load(control, ${MODULE_ID});
    const cells = Atomics.load(control, ${CELLS});
    const chunk = Atomics.load(control, ${CHUNK});
    const index = work & 0xffff;
    if (chunk <= 0 || index * chunk >= cells) break;
    if (Atomics.compareExchange(control, ${WORK}, work, work + 1) !== work) continue;
    try {
      // A run can open while this helper is still claiming from the previous one, before it has read the
      // set-up message posted ahead of the run: read the messages then.
      if (!instances.has(id)) readMessages();
      const entry = instances.get(id);
      if (!entry) throw new Error('module ' + id + ' was not set up on this helper');
      runRange(entry, index * chunk, Math.min(cells, (index + 1) * chunk));
    } catch (error) {
      Atomics.store(control, ${FAILED}, 1);
      port.postMessage({ type: 'error', message: String(error && error.stack || error) });
    }
    Atomics.add(control, ${HELPER_CHUNKS}, 1);
    Atomics.add(control, ${FINISHED}, 1);
    Atomics.notify(control, ${FINISHED});
  }
}
`;

/** Runs cells [start, end) of a module: run_simd on whole 4-cell quads within each row, run on the rest. */
export function runRange(sizeX: number, run: RangeRunner, runSimd: RangeRunner | null, start: number, end: number): void {
  if (runSimd && sizeX % 4 === 0) {
    runSimd(start, end, 0);
    return;
  }
  for (let row = start; row < end; row += sizeX) {
    const quads = runSimd ? sizeX & ~3 : 0;
    if (quads > 0) runSimd!(row, row + quads, 0);
    run(row + quads, row + sizeX, 0);
  }
}

// ------------------------------------------------------------------------------------------------------------
// The slice of Node's worker_threads and os this file uses.

interface NodeMessagePort {
  postMessage(value: unknown): void;
  close(): void;
}
interface NodeWorker {
  on(event: 'error', listener: (error: unknown) => void): void;
  unref(): void;
  terminate(): Promise<number>;
}
interface WorkerThreadsModule {
  Worker: new (source: string, options: { eval: true; workerData: unknown; transferList: unknown[] }) => NodeWorker;
  MessageChannel: new () => { port1: NodeMessagePort; port2: NodeMessagePort };
  receiveMessageOnPort(port: NodeMessagePort): { message: unknown } | undefined;
}
interface OsModule {
  availableParallelism?: () => number;
  cpus(): unknown[];
}

function nodeBuiltin<T>(name: string): T | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  if (typeof proc?.getBuiltinModule !== 'function') return null;
  try {
    return (proc.getBuiltinModule(name) as T | undefined) ?? null;
  } catch {
    return null;
  }
}

/** The cores this process may use (1 where that cannot be told, e.g. in a browser). */
export function availableCores(): number {
  const os = nodeBuiltin<OsModule>('node:os');
  if (!os) return 1;
  return Math.max(1, os.availableParallelism ? os.availableParallelism() : os.cpus().length);
}

let warnedNoThreads = false;

/**
 * In Node, threads that were asked for but cannot start are said once, not silently dropped: on a Node older
 * than 20.16 (no process.getBuiltinModule) the backend would otherwise run on one thread unseen. Browsers have
 * no helper threads here by design, so they get no warning.
 */
function warnNoThreads(): void {
  const nodeVersion = typeof process === 'object' ? process.versions?.node : undefined;
  if (warnedNoThreads || nodeVersion === undefined) return;
  warnedNoThreads = true;
  console.warn(
    `selm-ts: helper threads are unavailable in Node ${nodeVersion} (they need worker_threads, SharedArrayBuffer and process.getBuiltinModule, Node >= 20.16): kernels run on one thread`,
  );
}

/** Whether helper threads can run here: Node's worker_threads, shared memory, and a blockable main thread. */
export function threadsSupported(): boolean {
  return (
    typeof SharedArrayBuffer === 'function' &&
    typeof Atomics.wait === 'function' &&
    nodeBuiltin<WorkerThreadsModule>('node:worker_threads') !== null
  );
}

/**
 * A pool of `helpers` threads, or null when they cannot run here (see `threadsSupported`). Helpers start
 * lazily on the first run and are unref'd, so they never keep a process alive.
 */
export function createThreadPool(helpers: number): ThreadPool | null {
  const threads = nodeBuiltin<WorkerThreadsModule>('node:worker_threads');
  if (helpers < 1) return null;
  if (!threads || !threadsSupported()) {
    warnNoThreads();
    return null;
  }
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_INTS * 4));
  interface Helper {
    worker: NodeWorker;
    port: NodeMessagePort;
    modules: Set<number>;
  }
  let pool: Helper[] | null = null;
  let generation = 0;
  let destroyed = false;
  const deadHelperErrors: string[] = [];

  function start(): Helper[] {
    const started: Helper[] = [];
    for (let i = 0; i < helpers; i++) {
      const { port1, port2 } = new threads!.MessageChannel();
      const worker = new threads!.Worker(HELPER_SOURCE, {
        eval: true,
        workerData: { control: control.buffer, port: port2 },
        transferList: [port2],
      });
      worker.unref();
      // A helper that dies (it cannot, short of a bug or an out-of-memory) claims nothing more: the calling
      // thread does its share. Its error is kept for `errors()`.
      worker.on('error', (error) => deadHelperErrors.push(String(error)));
      started.push({ worker, port: port1, modules: new Set() });
    }
    return started;
  }

  function helperErrors(): string[] {
    const messages: string[] = [];
    for (const h of pool ?? []) {
      for (let m = threads!.receiveMessageOnPort(h.port); m !== undefined; m = threads!.receiveMessageOnPort(h.port)) {
        const msg = m.message as { type?: string; message?: string };
        if (msg.type === 'error') messages.push(String(msg.message));
      }
    }
    return messages;
  }

  return {
    helpers,
    run(module, cells, runLocal) {
      if (destroyed) throw new Error('gpujs thread pool: used after destroy()');
      pool ??= start();
      for (const h of pool) {
        if (h.modules.has(module.id)) continue;
        h.port.postMessage({
          type: 'setup',
          id: module.id,
          module: module.module,
          memory: module.memory,
          mathImports: module.mathImports,
          sizeX: module.sizeX,
        });
        h.modules.add(module.id);
      }
      // Eight chunks per thread (measured against 4 and 16 at the models' matmuls) balance a late or busy
      // helper; chunks hold whole rows when rows are not a multiple of 4 cells wide (run_simd quads must not
      // cross a row), else whole quads.
      const unit = module.sizeX % 4 === 0 ? 4 : module.sizeX;
      const units = Math.ceil(cells / unit);
      const chunks = Math.min(MAX_CHUNKS, units, 8 * (helpers + 1));
      const chunk = Math.ceil(units / chunks) * unit;
      // Close the counter (a helper that read the previous run's WORK can no longer claim), then write the
      // parameters, then open it under a new generation.
      generation = (generation + 1) & 0xffff;
      Atomics.store(control, WORK, (generation << 16) | CLOSED);
      Atomics.store(control, FINISHED, 0);
      Atomics.store(control, MODULE_ID, module.id);
      Atomics.store(control, CELLS, cells);
      Atomics.store(control, CHUNK, chunk);
      Atomics.store(control, WORK, generation << 16);
      Atomics.add(control, WAKE, 1);
      Atomics.notify(control, WAKE);
      const total = Math.ceil(cells / chunk);
      for (;;) {
        const work = Atomics.load(control, WORK);
        const index = work & 0xffff;
        if (index >= total) break;
        if (Atomics.compareExchange(control, WORK, work, work + 1) !== work) continue;
        runLocal(index * chunk, Math.min(cells, (index + 1) * chunk), 0);
        Atomics.add(control, FINISHED, 1);
      }
      const deadline = Date.now() + HELPER_TIMEOUT_MS;
      let spins = 0;
      for (let done = Atomics.load(control, FINISHED); done < total; done = Atomics.load(control, FINISHED)) {
        if (Date.now() > deadline)
          throw new Error(`gpujs thread pool: a helper thread did not finish its chunk in ${HELPER_TIMEOUT_MS} ms`);
        if (spins++ < SPIN) continue;
        Atomics.wait(control, FINISHED, done, 100);
      }
      if (Atomics.load(control, FAILED) !== 0) {
        Atomics.store(control, FAILED, 0);
        throw new Error(`gpujs thread pool: a helper thread failed: ${helperErrors().join('; ')}`);
      }
    },
    helperChunks: () => Atomics.load(control, HELPER_CHUNKS),
    errors: () => [...deadHelperErrors],
    release(id) {
      for (const h of pool ?? []) {
        if (!h.modules.delete(id)) continue;
        h.port.postMessage({ type: 'release', id });
      }
      // Helpers read messages when woken; a wake without work makes them drop the instance now.
      if (pool) {
        Atomics.add(control, WAKE, 1);
        Atomics.notify(control, WAKE);
      }
    },
    destroy() {
      destroyed = true;
      for (const h of pool ?? []) {
        h.port.postMessage({ type: 'exit' });
        h.port.close();
      }
      if (pool) {
        Atomics.add(control, WAKE, 1);
        Atomics.notify(control, WAKE);
      }
      pool = null;
    },
  };
}
