/**
 * The bandit world: the paper's Figure 1 made runnable. Each prompt belongs to one of a few tasks; for a task
 * the response set is a finite line of K responses. The true reward r* has two hills: a local optimum near
 * where the demonstrations are (height 1) and a better one away from them (height 2). The reference (SFT)
 * policy puts most of its mass on the first hill and only a little on the second, so the best responses are
 * rare under π_ref but not impossible: the situation in which the paper argues optimism helps exploration.
 *
 * Prompts are the tokens [task, instance]; responses are one token [k]. A tabular policy keeps one row of
 * logits per task, so every expectation over Y is an exact sum. Held-out prompts are new instances of the
 * same tasks (a table cannot generalise beyond its rows; the language world tests generalisation).
 *
 * With `contexts` > 1 (the prompt-context variant) an instance also names a context (instance mod contexts)
 * and both hills move with it, so π_SFT's favourite, the best response and a greedy y_ref differ between
 * prompts of one task; the tables then have a row per (task, context). One context is the world above, bit
 * for bit (the same random draws in the same order).
 */
import { Generator } from '../../autograd/index.js';
import type { Demonstration, Preference, Tokens } from '../../selm/types.js';
import { SmoothPolicy, promptContext } from '../../selm/policies/smooth.js';
import { bradleyTerryProbability, type World } from './types.js';

export interface BanditConfig {
  kind: 'bandit';
  /** Number of tasks (rows of the tabular policy). */
  tasks: number;
  /** Size K of the response set. */
  responses: number;
  trainPromptsPerTask: number;
  testPromptsPerTask: number;
  /** Total probability π_SFT puts on the far (better) hill. */
  refMassOnBest: number;
  /** Width (in response steps) of π_SFT around the demonstrations' centre. */
  demoSpread: number;
  /** Bradley–Terry temperature of the offline labels: P(y1 ≻ y2) = σ((r*(y1) − r*(y2)) / temperature). */
  labelTemperature: number;
  /**
   * Width (in response steps) of the policy's RBF features over the response line (policies/smooth.ts):
   * 0 = a table of free logits ("no generalisation"), 1-3 = an update on one response spreads to its neighbours.
   */
  featureWidth: number;
  /**
   * Prompt contexts per task (1 = none, the world of Figure 1): a prompt [task, instance] has the context
   * instance mod `contexts`, π_SFT and r* depend on it (both hills move along the response line with the
   * context), and so do greedy responses. The policy's rows are (task, context) pairs.
   */
  contexts: number;
  /** Width (in context steps) of the policy's RBF features over the context line; 0 = contexts share nothing. */
  contextWidth: number;
  /** How far (in response steps) both hills move from the first context to the last. */
  contextShift: number;
}

export const DEFAULT_BANDIT: BanditConfig = {
  kind: 'bandit',
  tasks: 4,
  responses: 12,
  trainPromptsPerTask: 24,
  testPromptsPerTask: 8,
  refMassOnBest: 0.1,
  demoSpread: 1,
  labelTemperature: 0.5,
  featureWidth: 0,
  contexts: 1,
  contextWidth: 0,
  contextShift: 0,
};

export interface BanditWorld extends World {
  readonly kind: 'bandit';
  readonly config: BanditConfig;
  /** log π_SFT(·|row) as a [tasks·contexts][K] table (row = task·contexts + context): where the bandit starts. */
  readonly sftLogProbs: readonly (readonly number[])[];
  /** r*(row, k) as a [tasks·contexts][K] table. */
  readonly rewards: readonly (readonly number[])[];
  /** Rows of the tables: tasks × contexts (the tasks when there is one context). */
  readonly rows: number;
  /** The row of a prompt: task·contexts + its context. */
  rowOf(prompt: Tokens): number;
  /** A prompt of that row (task, instance = its context), for per-row metrics. */
  rowPrompt(row: number): Tokens;
}

export function validateBanditConfig(config: BanditConfig): string[] {
  const problems: string[] = [];
  const int = (name: keyof BanditConfig, min: number): void => {
    const v = config[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
      problems.push(`${name}: must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  };
  int('tasks', 1);
  int('responses', 6);
  int('trainPromptsPerTask', 1);
  int('testPromptsPerTask', 1);
  if (!(config.refMassOnBest > 0 && config.refMassOnBest < 1))
    problems.push(`refMassOnBest: must be in (0, 1), got ${config.refMassOnBest}`);
  if (!(config.demoSpread > 0)) problems.push(`demoSpread: must be > 0, got ${config.demoSpread}`);
  if (!(config.labelTemperature > 0)) problems.push(`labelTemperature: must be > 0, got ${config.labelTemperature}`);
  if (!(typeof config.featureWidth === 'number' && config.featureWidth >= 0 && config.featureWidth <= config.responses)) {
    problems.push(`featureWidth: must be a number in [0, responses], got ${JSON.stringify(config.featureWidth)}`);
  }
  int('contexts', 1);
  if (!(typeof config.contextWidth === 'number' && config.contextWidth >= 0 && Number.isFinite(config.contextWidth)))
    problems.push(`contextWidth: must be a finite number >= 0, got ${JSON.stringify(config.contextWidth)}`);
  if (!(typeof config.contextShift === 'number' && config.contextShift >= 0 && config.contextShift <= config.responses / 2))
    problems.push(`contextShift: must be a number in [0, responses / 2], got ${JSON.stringify(config.contextShift)}`);
  return problems;
}

/** The world's starting policy: the π_SFT table, generalising across responses when `featureWidth` > 0. */
export function banditPolicy(world: BanditWorld, sampleTemperature = 1): SmoothPolicy {
  const { featureWidth, contexts, contextWidth } = world.config;
  return new SmoothPolicy(world.sftLogProbs, { featureWidth, sampleTemperature, contexts, contextWidth });
}

/** The hills' move at context c: rounded to whole response steps, centred (0 with one context). */
export function contextOffset(config: BanditConfig, c: number): number {
  if (config.contexts === 1) return 0;
  return Math.round((config.contextShift * c) / (config.contexts - 1)) - Math.round(config.contextShift / 2);
}

/** Builds the world; everything random comes from `seed`. */
export function makeBanditWorld(config: BanditConfig, seed: number): BanditWorld {
  const problems = validateBanditConfig(config);
  if (problems.length > 0) throw new Error(`bandit world: ${problems.join('; ')}`);
  const gen = new Generator(seed);
  const K = config.responses;
  const half = Math.floor(K / 2);
  const rewards: number[][] = [];
  const sftLogProbs: number[][] = [];
  const C = config.contexts;
  for (let g = 0; g < config.tasks; g++) {
    // The demonstrations' hill sits in the first half, the better hill in the second (at every context).
    const nearAtCentre = 1 + gen.int(Math.max(1, half - 2));
    const farAtCentre = half + 1 + gen.int(Math.max(1, K - half - 2));
    for (let c = 0; c < C; c++) {
      const offset = contextOffset(config, c);
      // Clamped so the hills keep a valley between them: the far hill's tail stays below the local optimum.
      const near = Math.min(half - 2, Math.max(0, nearAtCentre + offset));
      const far = Math.min(K - 1, Math.max(half + 1, farAtCentre + offset));
      rewards.push(Array.from({ length: K }, (_, k) => Math.max(0, 1 - 0.3 * Math.abs(k - near), 2 - 0.7 * Math.abs(k - far))));
      const nearWeights = Array.from({ length: K }, (_, k) => (k < half ? Math.exp(-((k - near) ** 2) / (2 * config.demoSpread ** 2)) : 0));
      const nearTotal = nearWeights.reduce((a, b) => a + b, 0);
      const farCount = K - half;
      const probs = nearWeights.map((w, k) => (k < half ? (1 - config.refMassOnBest) * (w / nearTotal) : config.refMassOnBest / farCount));
      // Keep every response possible: π_SFT needs full support for log-probs and KL to be finite.
      const floored = probs.map((p) => Math.max(p, 1e-4));
      const total = floored.reduce((a, b) => a + b, 0);
      sftLogProbs.push(floored.map((p) => Math.log(p / total)));
    }
  }
  const rowOf = (prompt: Tokens): number => {
    const g = prompt[0];
    if (g === undefined || !Number.isInteger(g) || g < 0 || g >= config.tasks)
      throw new Error(`bandit: prompt [${prompt}] names no task in [0, ${config.tasks})`);
    return g * C + promptContext(prompt, C);
  };

  const makePrompts = (perTask: number, offset: number): Tokens[] => {
    const out: Tokens[] = [];
    for (let i = 0; i < perTask; i++) for (let g = 0; g < config.tasks; g++) out.push([g, offset + i]);
    return out;
  };
  const trainPrompts = makePrompts(config.trainPromptsPerTask, 0);
  const testPrompts = makePrompts(config.testPromptsPerTask, config.trainPromptsPerTask);
  const reward = (prompt: Tokens, response: Tokens): number => {
    const k = response[0]!;
    const row = rewards[rowOf(prompt)];
    if (row === undefined || response.length !== 1 || !(k >= 0 && k < K))
      throw new Error(`bandit: no reward for prompt [${prompt}] and response [${response}]`);
    return row[k]!;
  };
  const sample = (g: number): number => gen.categorical(sftLogProbs[g]!.map(Math.exp));
  const labelPairs = (prompts: readonly Tokens[]): Preference[] =>
    prompts.map((prompt) => {
      const g = rowOf(prompt);
      const a = sample(g);
      let b = sample(g);
      for (let tries = 0; b === a && tries < 100; tries++) b = sample(g);
      const pA = bradleyTerryProbability(rewards[g]![a]!, rewards[g]![b]!, config.labelTemperature);
      const aWins = gen.random() < pA;
      return { prompt, chosen: [aWins ? a : b], rejected: [aWins ? b : a] };
    });
  const shuffled = [...trainPrompts];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = gen.int(i + 1);
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  const preferences = labelPairs(shuffled);
  const testPreferences = labelPairs(testPrompts);
  const demonstrations: Demonstration[] = trainPrompts.map((prompt) => ({ prompt, response: [sample(rowOf(prompt))] }));

  const parseIndex = (text: string, prefix: string, what: string): number => {
    const m = new RegExp(`^${prefix}(\\d+)$`).exec(text.trim());
    if (!m) throw new Error(`not a bandit ${what}: expected '${prefix}<n>', got ${JSON.stringify(text)}`);
    return Number(m[1]);
  };
  return {
    kind: 'bandit',
    config,
    rewards,
    sftLogProbs,
    rows: config.tasks * C,
    rowOf,
    rowPrompt: (row) => [Math.floor(row / C), row % C],
    trainPrompts,
    testPrompts,
    preferences,
    testPreferences,
    demonstrations,
    trueReward: reward,
    bestReward: (prompt) => Math.max(...rewards[rowOf(prompt)]!),
    enumerateResponses: () => Array.from({ length: K }, (_, k) => [k]),
    formatPrompt: (prompt) => `task ${prompt[0]} #${prompt[1]}`,
    formatResponse: (response) => `r${response[0]}`,
    parsePrompt: (text) => {
      const m = /^task (\d+) #(\d+)$/.exec(text.trim());
      if (!m) throw new Error(`not a bandit prompt: expected 'task <g> #<i>', got ${JSON.stringify(text)}`);
      const g = Number(m[1]);
      if (g >= config.tasks) throw new Error(`task ${g} is out of range: this world has ${config.tasks} tasks`);
      return [g, Number(m[2])];
    },
    parseResponse: (text) => {
      const k = parseIndex(text, 'r', 'response');
      if (k >= K) throw new Error(`response r${k} is out of range: this world has ${K} responses`);
      return [k];
    },
  };
}
