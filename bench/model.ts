/**
 * Our side of the model benches: the reference GPT and its optimiser from src/nn, built the same way for the
 * train, generation and memory sections, and its initial weights for the TensorFlow.js peer.
 */
import { Generator } from '../src/autograd/index.js';
import { makeReferenceConfig, type ReferenceConfig } from '../src/nn/configs.js';
import { GPT } from '../src/nn/gpt.js';
import { AdamW } from '../src/nn/optim.js';
import type { TrainBatch } from '../src/nn/train.js';
import type { ConfigName } from './args.js';
import type { TokenBatch } from './batch.js';
import { REFERENCE_DIMS, type ModelDims } from './dims.js';

/** Seed of every model the bench builds: ours and the peer start from the same weights. */
export const MODEL_SEED = 42;

/** The reference config, checked against the sizes the kernel cases and the peer were built from. */
export function referenceConfig(config: ConfigName): ReferenceConfig {
  const ref = makeReferenceConfig(config, 'float32');
  const m = ref.model;
  const actual: ModelDims = {
    vocab: m.vocabSize,
    context: m.contextLength,
    width: m.width,
    heads: m.heads,
    layers: m.layers,
    mlp: m.mlpWidth ?? Math.round((m.mlpRatio ?? 4) * m.width),
    batch: ref.batchSize,
  };
  const expected = REFERENCE_DIMS[config];
  if (JSON.stringify(actual) !== JSON.stringify(expected) || ref.sequenceLength !== expected.context) {
    throw new Error(
      `bench: makeReferenceConfig('${config}') gives ${JSON.stringify(actual)}, bench/dims.ts has ${JSON.stringify(expected)}`,
    );
  }
  if ((m.dropout ?? 0) !== 0 || m.tiedEmbeddings === false)
    throw new Error(`bench: ${config} has dropout or untied embeddings; the peer models neither`);
  return ref;
}

export interface OurModel {
  ref: ReferenceConfig;
  model: GPT;
  optimizer: AdamW;
}

export function buildModel(config: ConfigName): OurModel {
  const ref = referenceConfig(config);
  const model = new GPT(ref.model, new Generator(MODEL_SEED));
  const optimizer = new AdamW(model.parameters(), ref.optimizer);
  return { ref, model, optimizer };
}

/** A bench batch in src/nn's TrainBatch form (rows as views, no copies). */
export function toTrainBatch(b: TokenBatch): TrainBatch {
  const rows = (data: Int32Array): Int32Array[] =>
    Array.from({ length: b.batch }, (_, i) => data.subarray(i * b.context, (i + 1) * b.context));
  return { inputs: rows(b.inputs), targets: rows(b.targets) };
}

/** The initial weights of our model for a config, by parameter name, as float32 copies. */
export function initialWeights(config: ConfigName): Map<string, Float32Array> {
  const { model } = buildModel(config);
  return new Map(model.namedParameters().map(([name, p]) => [name, Float32Array.from(p.data)]));
}
