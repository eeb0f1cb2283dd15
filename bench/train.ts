/** The training-step section, our side: one float32 step (forward, backward, clip, AdamW) per backend and config. */
import { trainStep } from '../src/nn/train.js';
import type { ConfigName, OurBackend } from './args.js';
import { onBackend } from './backends.js';
import type { TokenBatch } from './batch.js';
import { REFERENCE_DIMS, tokensPerStep } from './dims.js';
import { measureSteps } from './measure.js';
import { buildModel, toTrainBatch } from './model.js';
import type { TrainRow } from './train-row.js';

/**
 * Median of `steps` training steps after `warmup` steps, the batches cycled; RSS sampled after every step.
 * trainStep's defaults hold (gradient-norm clipping at 1.0); the peer clips the same way.
 */
export function ourTrainRow(
  backend: OurBackend,
  config: ConfigName,
  batches: readonly TokenBatch[],
  steps: number,
  warmup: number,
): TrainRow {
  return onBackend(backend, (): TrainRow => {
    const { model, optimizer } = buildModel(config);
    const trainBatches = batches.map(toTrainBatch);
    let i = 0;
    const losses: number[] = [];
    const step = (): void => {
      losses.push(trainStep(model, optimizer, trainBatches[i++ % trainBatches.length]!).loss);
    };
    const m = measureSteps(`selm-ts ${backend} ${config} train step`, step, steps, warmup);
    return {
      engine: 'selm-ts',
      backend,
      config,
      medianMs: m.timing.medianMs,
      tokensPerSec: tokensPerStep(REFERENCE_DIMS[config]) / (m.timing.medianMs / 1000),
      peakRssMb: m.peakRssMb,
      minMs: m.timing.minMs,
      cpuMs: m.cpuMsMedian,
      rssBeforeMb: m.rssBeforeMb,
      steps: m.timing.samples,
      warmupSteps: warmup,
      params: model.parameterCount(),
      firstLoss: losses[0] ?? Number.NaN,
      lastLoss: losses[losses.length - 1] ?? Number.NaN,
    };
  });
}
