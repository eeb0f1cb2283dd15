/**
 * The lab: experiments in worlds whose true reward r* is known, run so that SELM and its baselines are compared
 * honestly. Configs and their validation, the worlds, judges, the runner (over a RunStorage: memory here, a
 * folder through the CLI), evaluation, statistics and summaries, preference data as JSONL. Browser-safe; the
 * reports and figures (vega) are the CLI's and are not part of the library.
 */
export {
  defaultsFor,
  parseExperimentConfig,
  validateExperimentConfig,
  methodsOf,
  ConfigError,
  DEFAULT_BANDIT_EXPERIMENT,
  DEFAULT_LANGUAGE_EXPERIMENT,
  type ExperimentConfig,
  type ModelConfig,
  type SftConfig,
  type EvalConfig,
  type Method,
} from './config.js';
export { makeBanditWorld, DEFAULT_BANDIT, type BanditConfig, type BanditWorld } from './worlds/bandit.js';
export { makeLanguageWorld, DEFAULT_LANGUAGE, type LanguageConfig, type LanguageWorld } from './worlds/language.js';
export { bradleyTerryProbability, type World } from './worlds/types.js';
export { TrueRewardRanker, BradleyTerryRanker, makeRanker, type RankerConfig } from './judges.js';
export {
  runExperiment,
  evaluateRun,
  readRunConfig,
  buildWorld,
  unitKey,
  RunInterrupted,
  type RunOptions,
  type ProgressEvent,
  type ExperimentResults,
} from './runner.js';
export { MemoryStorage, type RunStorage } from './storage.js';
export { evaluateModel, winRate, winProbability, type ModelEval, type EvalOptions, type RewardDistribution } from './evaluate.js';
export { meanInterval, pairedDifference, curveIntervals, formatInterval, tQuantile975, type Interval } from './stats.js';
export { summarize, type Summary, type TableRow, type DifferenceRow } from './summary.js';
export { parsePreferencesJsonl, preferencesToJsonl, DataError } from './data.js';
export { runComparisonSeed, type ComparisonMethod, type IterationMetrics, type SeedComparison } from './exploration.js';
export { runStudy, type StudyConfig } from './study.js';
export { summarizeStudy } from './study-summary.js';
export { demoConfigs, demoStudies } from './demo.js';
export { makeTextWorld } from './worlds/text.js';
export { ModuleRanker } from './module-judge.js';
export { trainLearnedJudge } from './learned-judge.js';
export { trlConfigOf } from './trl-config.js';
export { trlPrompt } from './data/trl-layout.js';
export { parsePreferenceRecord } from './data/records.js';
export { estimateResources, DEFAULT_LIMITS } from './resources.js';
export { divergenceWarnings } from './divergence.js';
export { MAX_SEED } from './config.js';
export { MODEL_BACKENDS, type ModelBackend } from './model-backend.js';
export { InvalidInputError, RunLockError, CheckpointFileError } from './errors.js';
export { figure1, FIGURE1_DEFAULTS, type Figure1Settings, type Figure1Result } from './figure1.js';
export { compareJudges, judgeComparisonConfigs, judgeComparisonMarkdown, type JudgeComparison } from './judge-comparison.js';
export { StartingModelError, checkStartingModel, type ModelInit, type StartingModel } from './starting-model.js';
export { runLanguageComparisonSeed } from './language-exploration.js';
export { transferRatio, banditNeighbour, languageNeighbour, type NeighbourOf } from './transfer.js';
