/** The training-step bench on TensorFlow.js: same configs, batches, timing and RSS sampling as ours. */
import type { ConfigName } from '../args.js';
import type { TokenBatch } from '../batch.js';
import { REFERENCE_DIMS, tokensPerStep } from '../dims.js';
import { measureSteps } from '../measure.js';
import type { TrainRow } from '../train-row.js';
import { tfTrainer, type TfGptOptions } from './tfjs-gpt.js';
import { tf, useTfBackend, type TfBackend } from './tfjs-setup.js';

/** What the peer must match on our side: its optimiser settings, our parameter count, our initial weights. */
export interface PeerSpec {
  optimizer: Omit<TfGptOptions, 'dims' | 'seed' | 'initial'>;
  /** Our model's parameter count: the peer's must be equal (the same architecture). */
  params: number;
  /** Our model's initial weights by name: the peer starts from them, so both first losses must agree. */
  initial: ReadonlyMap<string, Float32Array>;
}

export async function tfTrainRow(
  backend: TfBackend,
  config: ConfigName,
  spec: PeerSpec,
  batches: readonly TokenBatch[],
  steps: number,
  warmup: number,
): Promise<TrainRow> {
  await useTfBackend(backend);
  const dims = REFERENCE_DIMS[config];
  const trainer = tfTrainer({ ...spec.optimizer, dims, seed: 42, initial: spec.initial });
  try {
    const count = trainer.model.paramCount();
    if (count !== spec.params) {
      throw new Error(`tfjs ${config}: ${count} parameters, ours has ${spec.params}: the two models are not the same architecture`);
    }
    const shape: [number, number] = [dims.batch, dims.context];
    const tensors = batches.map((b) => ({ x: tf.tensor2d(b.inputs, shape, 'int32'), y: tf.tensor2d(b.targets, shape, 'int32') }));
    let i = 0;
    const losses: number[] = [];
    const step = (): void => {
      const b = tensors[i++ % tensors.length]!;
      losses.push(trainer.step(b.x, b.y));
    };
    // Every step must free what it made: after warm-up (Adam creates its moment variables on the first step) the
    // tensor count stays the same.
    let tensorsBefore = 0;
    const m = measureSteps(`tfjs-${backend} ${config} train step`, step, steps, Math.max(1, warmup), () => {
      tensorsBefore = tf.memory().numTensors;
    });
    const leaked = tf.memory().numTensors - tensorsBefore;
    tf.dispose(tensors.flatMap((b) => [b.x, b.y]));
    if (leaked !== 0) throw new Error(`tfjs-${backend} ${config}: ${leaked} tensors leaked over ${steps} steps`);
    return {
      engine: `tfjs-${backend}`,
      backend,
      config,
      medianMs: m.timing.medianMs,
      tokensPerSec: tokensPerStep(dims) / (m.timing.medianMs / 1000),
      peakRssMb: m.peakRssMb,
      minMs: m.timing.minMs,
      cpuMs: m.cpuMsMedian,
      rssBeforeMb: m.rssBeforeMb,
      steps: m.timing.samples,
      warmupSteps: Math.max(1, warmup),
      params: count,
      firstLoss: losses[0] ?? Number.NaN,
      lastLoss: losses[losses.length - 1] ?? Number.NaN,
    };
  } finally {
    trainer.dispose();
  }
}
