/**
 * The two reference configurations of issue 3, shared by benchmarks and examples: tiny-gpt (trains in seconds
 * on a laptop CPU) and small-gpt. Sequences fill the context; Adam is AdamW with weight decay 0.
 */
import type { Generator } from '../autograd/index.js';
import type { GPTConfig } from './gpt.js';
import type { AdamWOptions } from './optim.js';
import type { TrainBatch } from './train.js';

export type ReferenceConfigName = 'tiny-gpt' | 'small-gpt';

export interface ReferenceConfig {
  name: ReferenceConfigName;
  model: GPTConfig;
  batchSize: number;
  /** Tokens per sequence in a training batch (the context length). */
  sequenceLength: number;
  optimizer: AdamWOptions;
}

export function makeReferenceConfig(name: ReferenceConfigName, dtype: GPTConfig['dtype'] = 'float32'): ReferenceConfig {
  switch (name) {
    case 'tiny-gpt':
      return {
        name,
        model: { vocabSize: 64, contextLength: 32, width: 64, heads: 4, layers: 2, mlpWidth: 256, dropout: 0, dtype },
        batchSize: 16,
        sequenceLength: 32,
        optimizer: { lr: 1e-3, weightDecay: 0 },
      };
    case 'small-gpt':
      // The issue gives no learning rate for small-gpt; 1e-3 (Adam) as for tiny-gpt.
      return {
        name,
        model: { vocabSize: 256, contextLength: 64, width: 128, heads: 4, layers: 4, mlpWidth: 512, dropout: 0, dtype },
        batchSize: 8,
        sequenceLength: 64,
        optimizer: { lr: 1e-3, weightDecay: 0 },
      };
    default: {
      const unknown: never = name;
      throw new Error(`makeReferenceConfig: unknown configuration '${String(unknown)}'`);
    }
  }
}

/** A batch of uniformly random token sequences for a configuration (for benchmarks and smoke tests). */
export function syntheticBatch(config: ReferenceConfig, generator: Generator): TrainBatch {
  const vocab = config.model.vocabSize;
  const rows = Array.from({ length: config.batchSize }, () =>
    Array.from({ length: config.sequenceLength + 1 }, () => generator.int(vocab)),
  );
  return { inputs: rows.map((r) => r.slice(0, -1)), targets: rows.map((r) => r.slice(1)) };
}
