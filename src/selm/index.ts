/**
 * SELM's mathematics: sequence log-probs and the implicit reward, the DPO/SELM losses and their metrics, the
 * objective (3.2) on batches and on finite response spaces, its gradient (3.3) through its weights, and the
 * theory of sections 2-3 and appendices A-B as functions; and Algorithm 1 end to end: worlds with a known
 * true reward, rankers, the driver, evaluation and reports.
 */
export * from './logprob.js';
export * from './losses.js';
export * from './metrics.js';
export * from './objective.js';
export * from './tabular.js';
export * from './theory.js';
export * from './gradients.js';
export * from './gradcheck-suite.js';
export * from './rankers.js';
export * from './algorithm.js';
export * from '../lab/evaluate.js';
export * from '../lab/worlds/types.js';
export * from '../lab/worlds/bandit.js';
export * from '../lab/worlds/language.js';
export * from './policies/tabular.js';
export * from './policies/gpt.js';
