/** The training-step bench on TensorFlow.js: same configs, batches, timing and RSS sampling as ours. */
import type { ConfigName } from '../args.js';
import type { TokenBatch } from '../batch.js';
import { REFERENCE_DIMS, tokensPerStep } from '../dims.js';
import { rssMb, timeSync } from '../measure.js';
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
    const rssBefore = rssMb();
    let peak = rssBefore;
    const losses: number[] = [];
    const step = (): void => {
      const b = tensors[i++ % tensors.length]!;
      losses.push(trainer.step(b.x, b.y));
      peak = Math.max(peak, rssMb());
    };
    for (let w = 0; w < warmup; w++) step();
    const tensorsBefore = tf.memory().numTensors;
    const t = timeSync(`tfjs-${backend} ${config} train step`, step, { iterations: steps, timeMs: 0, warmupIterations: 0, warmupTimeMs: 0 });
    const leaked = tf.memory().numTensors - tensorsBefore;
    tf.dispose(tensors.flatMap((b) => [b.x, b.y]));
    if (leaked !== 0) throw new Error(`tfjs-${backend} ${config}: ${leaked} tensors leaked over ${t.samples} steps`);
    return {
      engine: `tfjs-${backend}`,
      backend,
      config,
      medianMs: t.medianMs,
      tokensPerSec: tokensPerStep(dims) / (t.medianMs / 1000),
      peakRssMb: peak,
      rssBeforeMb: rssBefore,
      steps: t.samples,
      warmupSteps: warmup,
      params: count,
      firstLoss: losses[0] ?? Number.NaN,
      lastLoss: losses[losses.length - 1] ?? Number.NaN,
    };
  } finally {
    trainer.dispose();
  }
}
