/**
 * The fast path: fused kernels behind the same contracts as their composite twins (gelu, softmax, layerNorm,
 * crossEntropy, a Linear's x W^T + b, attention's masked softmax), one pass each instead of several. They agree
 * with the composites (test/autograd/fused.test.ts); the composites stay the reference, built from primitives.
 */
export {
  geluFused as gelu,
  softmaxFused as softmax,
  maskedSoftmaxFused as maskedSoftmax,
  layerNormFused as layerNorm,
  linearFused as linear,
  crossEntropyFused as crossEntropy,
} from './fused.js';
