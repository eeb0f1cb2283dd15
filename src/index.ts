/**
 * selm-ts: the autograd engine, the small GPT and its tools, and SELM. Layers import downward only:
 * autograd <- nn <- selm.
 */
export * from './autograd/index.js';
