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
export * from './evaluate.js';
export * from './worlds/types.js';
export * from './worlds/bandit.js';
export * from './worlds/language.js';
export * from './worlds/tabular-policy.js';
export * from './worlds/gpt-policy.js';
