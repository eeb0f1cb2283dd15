/** One row of the results' `trainStep` array: the shape other scripts compare runs by. */
export interface TrainRow {
  engine: 'selm-ts' | 'tfjs-wasm' | 'tfjs-cpu' | 'torch-1t' | 'torch-2t';
  /** Ours: `cpu` or `gpujs`; TensorFlow.js: `wasm` or `cpu`. */
  backend: string;
  config: 'tiny-gpt' | 'small-gpt';
  /** Median of the measured steps (forward, backward, optimiser update), in ms. */
  medianMs: number;
  /** batch * context / median seconds. */
  tokensPerSec: number;
  /**
   * Highest process RSS sampled after each step of this engine's run (warm-up included), in MB. Engines run one
   * after another in one process, so this includes what earlier engines left (`rssBeforeMb`).
   */
  peakRssMb: number;
  /** Process RSS when this engine's run started, in MB. */
  rssBeforeMb: number;
  /** Fastest measured step, in ms: less disturbed by other work on a shared machine than the median. */
  minMs: number;
  /** Median CPU time per step of the whole process (every thread), in ms: above medianMs when threads helped. */
  cpuMs: number;
  steps: number;
  warmupSteps: number;
  params: number;
  firstLoss: number;
  lastLoss: number;
}
