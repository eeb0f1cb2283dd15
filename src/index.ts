/**
 * selm-ts: the autograd engine (at the root), the small GPT and its training tools (`nn`), SELM as a library
 * (`selm`) and the lab's experiments (`lab`). Layers import downward only: autograd <- nn <- selm <- lab.
 * Browser-safe; Node's file I/O is in `selm-ts/node`, test helpers in `selm-ts/testing`.
 */
export * from './autograd/public.js';
/** The small GPT and its training tools. */
export * as nn from './nn/index.js';
/** SELM: log-probs, losses, theory, gradients, Algorithm 1's driver, policies. */
export * as selm from './selm/index.js';
/** Experiments: configs, worlds with a known reward, judges, the runner, evaluation, statistics. */
export * as lab from './lab/index.js';
