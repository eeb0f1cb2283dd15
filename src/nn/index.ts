/**
 * The nn layer's public API: modules, layers, GPT, losses, optimisers, schedules, sampling, tokenizer, checkpoints.
 * Browser-safe: file I/O for checkpoints is in ./checkpoint-file.js (Node only), imported directly.
 */
export { Module, ModuleList, StateDictError, type StateDict } from './module.js';
export { Linear, type LinearOptions } from './layers/linear.js';
export { Embedding } from './layers/embedding.js';
export { LayerNorm } from './layers/layer-norm.js';
export { CausalSelfAttention, MASKED_SCORE, type AttentionOptions, type AttentionContext } from './layers/attention.js';
export { MLP } from './layers/mlp.js';
export { Block } from './layers/block.js';
export { DEFAULT_STD, type InitOptions } from './layers/init.js';
export { GPT, resolveGPTConfig, type GPTConfig, type ResolvedGPTConfig, type ForwardOptions } from './gpt.js';
export { KVCache, type LayerKV } from './kv-cache.js';
export { buildAttentionMask } from './attention-mask.js';
export { toTokenMatrix, toMask, type TokenBatch, type MaskBatch, type TokenMatrix } from './tokens.js';
export { languageModelLoss, nextTokenBatch, IGNORE_INDEX, type NextTokenBatch } from './loss.js';
export {
  Optimizer,
  AdamW,
  SGD,
  clipGradNorm,
  weightDecayGroups,
  type AdamWOptions,
  type SGDOptions,
  type ParamGroup,
  type OptimizerState,
} from './optim.js';
export {
  warmupDecay,
  restartSchedule,
  linearPeaks,
  warmupStepsOf,
  type Schedule,
  type Decay,
  type WarmupDecayOptions,
  type RestartOptions,
} from './schedule.js';
export { generate, samplingLogits, type GenerateOptions, type GenerationResult } from './sample.js';
export {
  Tokenizer,
  splitText,
  SPECIAL_TOKENS,
  PAD_ID,
  BOS_ID,
  EOS_ID,
  SEP_ID,
  type TokenizerLevel,
  type EncodedExample,
  type PaddedBatch,
  type PadOptions,
} from './tokenizer.js';
export { encodeSafetensors, decodeSafetensors, SafetensorsError, MAX_HEADER_BYTES, type DecodedSafetensors } from './safetensors.js';
export {
  encodeModel,
  loadModelBytes,
  encodeTrainingCheckpoint,
  loadTrainingCheckpointBytes,
  CheckpointError,
  type TrainingCheckpoint,
} from './checkpoint.js';
export { trainStep, type TrainBatch, type TrainStepOptions, type TrainStepResult, type LanguageModel } from './train.js';
export { makeReferenceConfig, syntheticBatch, type ReferenceConfig, type ReferenceConfigName } from './configs.js';
export { ByteBpeTokenizer } from './byte-bpe.js';
export { trainByteBpe } from './bpe-train.js';
export { hfTokenizerFiles, tokenizerFromHfFiles } from './hf-tokenizer.js';
export { toHfStateDict, fromHfStateDict, gpt2ConfigJson, gptConfigFromHf } from './hf-gpt2.js';
