/**
 * selm-ts: the autograd engine, the small GPT and its tools, and SELM. Layers import downward only:
 * autograd <- nn <- selm.
 */
export * from './autograd/index.js';
/** The small GPT and its training tools. */
export * as nn from './nn/index.js';
/** SELM: losses, theory, worlds, Algorithm 1, evaluation. */
export * as selm from './selm/index.js';
