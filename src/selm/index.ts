/**
 * SELM as a library: sequence log-probs and the implicit reward, the DPO/SELM losses (eq. 3.2) and their
 * metrics, the objective on batches and on finite response spaces, its gradient (3.3) through its weights, the
 * theory of sections 2-3 and appendices A-B as functions, the gradient checks of every term, and Algorithm 1's
 * driver over any `Policy`. Browser-safe. Worlds, judges and experiments are the lab's (`lab`).
 */
export {
  sequenceLogProbs,
  sequenceLogProbsFromLogits,
  packBatch,
  implicitReward,
  type CausalLM,
  type PromptResponse,
  type PackedBatch,
  type PackOptions,
  type SequenceLogProbOptions,
} from './logprob.js';
export {
  dpoLoss,
  dpoLosses,
  selmLoss,
  selmLosses,
  optimismTerms,
  preferenceLogits,
  type DpoLossType,
  type DpoOptions,
  type SelmOptions,
  type OptimismForm,
  type PreferenceLogps,
  type ReferenceResponseLogps,
} from './losses.js';
export { preferenceMetrics, type PreferenceMetrics, type MetricsOptions } from './metrics.js';
export {
  batchLogps,
  selmLossForModels,
  dpoLossForModels,
  tablePreferenceLogps,
  exactOptimismTerm,
  exactSelmLoss,
  type PreferenceExample,
  type BatchLogps,
  type ModelOptions,
  type ModelLossResult,
  type TablePreference,
} from './objective.js';
export {
  tabularLogProbs,
  tableEntries,
  frozen,
  expectation,
  klDivergence,
  enumerateResponses,
  modelLogProbTable,
  sampleResponses,
} from './tabular.js';
export {
  klRegularisedObjective,
  optimalPolicy,
  innerObjective,
  innerOptimalValue,
  constrainedRewardObjective,
  rewardMinimisingPolicy,
  expectedLogLikelihood,
  expectedImplicitRewardUnderReference,
  type GibbsPolicy,
  type InnerOptimum,
} from './theory.js';
export {
  importanceWeights,
  dpoPairWeights,
  gradientCoefficients,
  decomposedGradient,
  tabularDecomposedGradient,
  monteCarloOptimismGradient,
  type FinitePolicy,
  type FiniteSelmProblem,
  type GradientCoefficients,
  type DecomposedGradient,
  type MonteCarloGradient,
  type SelmPart,
} from './gradients.js';
export {
  runSelmGradchecks,
  checkTerm,
  SELM_TERMS,
  type SelmTerm,
  type GradcheckResult,
  type ProblemName,
  type CheckProblem,
} from './gradcheck-suite.js';
export {
  runAlgorithm,
  trainIteration,
  runSft,
  updatePreferences,
  splitPortions,
  validateAlgorithmConfig,
  DEFAULT_ALGORITHM,
  NonFiniteLossError,
  type AlgorithmConfig,
  type AlgorithmCallbacks,
  type AlgorithmRun,
  type UpdateRule,
  type StepRecord,
  type TrainingTriple,
  type SftOptions,
} from './algorithm.js';
export type { Policy, ResponseMode } from './policy.js';
export { TabularPolicy } from './policies/tabular.js';
export { GptPolicy, type GptPolicyOptions } from './policies/gpt.js';
export type { Ranker, RewardFunction } from './rankers.js';
export { sameTokens, type Tokens, type Preference, type Demonstration } from './types.js';
export { SmoothPolicy, rbfFeatures } from './policies/smooth.js';
export { RewardModel, RewardModelRanker, trainRewardModel, pairwiseAccuracy } from './reward-model.js';
