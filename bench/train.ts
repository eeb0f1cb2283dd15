/** The training-step section, our side: one float32 step (forward, backward, clip, AdamW) per backend and config. */
import { setBackend, getBackend } from '../src/autograd/index.js';
import { trainStep } from '../src/nn/train.js';
import type { ConfigName, OurBackend } from './args.js';
import type { TokenBatch } from './batch.js';
import { REFERENCE_DIMS, tokensPerStep } from './dims.js';
import { rssMb, timeSync } from './measure.js';
import { buildModel, toTrainBatch } from './model.js';
import type { TrainRow } from './train-row.js';

/**
 * Median of `steps` training steps after `warmup` steps, the batches cycled; RSS sampled after every step.
 * trainStep's defaults hold (gradient-norm clipping at 1.0); the peer clips the same way.
 */
export function ourTrainRow(backend: OurBackend, config: ConfigName, batches: readonly TokenBatch[], steps: number, warmup: number): TrainRow {
  const previous = getBackend().name;
  setBackend(backend);
  try {
    const { model, optimizer } = buildModel(config);
    const trainBatches = batches.map(toTrainBatch);
    let i = 0;
    const rssBefore = rssMb();
    let peak = rssBefore;
    const losses: number[] = [];
    const step = (): void => {
      const result = trainStep(model, optimizer, trainBatches[i++ % trainBatches.length]!);
      losses.push(result.loss);
      peak = Math.max(peak, rssMb());
    };
    for (let w = 0; w < warmup; w++) step();
    const t = timeSync(`selm-ts ${backend} ${config} train step`, step, { iterations: steps, timeMs: 0, warmupIterations: 0, warmupTimeMs: 0 });
    return {
      engine: 'selm-ts',
      backend,
      config,
      medianMs: t.medianMs,
      tokensPerSec: tokensPerStep(REFERENCE_DIMS[config]) / (t.medianMs / 1000),
      peakRssMb: peak,
      rssBeforeMb: rssBefore,
      steps: t.samples,
      warmupSteps: warmup,
      params: model.parameterCount(),
      firstLoss: losses[0] ?? Number.NaN,
      lastLoss: losses[losses.length - 1] ?? Number.NaN,
    };
  } finally {
    setBackend(previous);
  }
}
