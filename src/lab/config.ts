/**
 * An experiment's configuration: every knob of `selm train` (world, model size, α, β, T, learning rates,
 * batch size, seeds, ranker, y_ref mode, update rule, ...), its defaults per world, and its validation. A config
 * file is merged onto the defaults of its world; an unknown field, a wrong type or an out-of-range value is
 * reported as 'field.path: why', all problems at once.
 */
import { DEFAULT_ALGORITHM, validateAlgorithmConfig, type AlgorithmConfig } from '../selm/algorithm.js';
import type { RankerConfig } from './judges.js';
import { DEFAULT_LIMITS, limitsProblems, resourceProblems, type ResourceLimits } from './resources.js';
import { validateLearnedConfig } from './learned-judge.js';
import { modelBackendProblems, type ModelBackend } from './model-backend.js';
import { validateModelInit, type ModelInit } from './starting-model.js';
import { DEFAULT_BANDIT, validateBanditConfig, type BanditConfig } from './worlds/bandit.js';
import { DEFAULT_LANGUAGE, validateLanguageConfig, type LanguageConfig } from './worlds/language.js';
import { DEFAULT_TEXT, validateTextConfig, type TextConfig } from './worlds/text.js';

export interface ModelConfig {
  width: number;
  heads: number;
  layers: number;
  mlpRatio: number;
  /**
   * Starting weights: null, a fresh GPT from the seed; {"hf": DIR}, a Hugging Face GPT-2 folder (as `selm export
   * hf` writes it), whose shape the model takes and, in the text world, whose tokenizer (starting-model.ts).
   */
  init?: ModelInit | null;
  /**
   * The engine backend that runs the GPT: 'cpu' (the default) or 'wasm', the generated WebAssembly SIMD kernels,
   * faster; a run's numbers depend on it (model-backend.ts). Left out: 'cpu'.
   */
  backend?: ModelBackend;
}

export interface SftConfig {
  steps: number;
  batchSize: number;
  lr: number;
  warmupRatio: number;
}

export interface EvalConfig {
  /** Sampled responses per held-out prompt (the bandit's expectations are exact and ignore this). */
  samples: number;
  /** Bins of the reward histograms (Figure 3). */
  bins: number;
}

export interface ExperimentConfig {
  name: string;
  world: BanditConfig | LanguageConfig | TextConfig;
  /** The GPT's size (language world only). */
  model: ModelConfig;
  /** The SFT stage (language world only: the bandit starts from the world's π_SFT table). */
  sft: SftConfig;
  /** Algorithm 1's settings; `alpha` is SELM's α, and α = 0 always runs too, as the iterative DPO baseline. */
  algorithm: AlgorithmConfig;
  /** Further SELM α values for the α study (Figure 3, left and middle). */
  alphaSweep: number[];
  seeds: number[];
  ranker: RankerConfig;
  eval: EvalConfig;
  /** A JSONL preference set (prompt, chosen, rejected) to use as D instead of the world's own; the text world's data. */
  preferences: string | null;
  /** What the experiment may ask of the machine, checked before anything is allocated (resources.ts). */
  limits: ResourceLimits;
}

export const DEFAULT_BANDIT_EXPERIMENT: ExperimentConfig = {
  name: 'bandit',
  world: DEFAULT_BANDIT,
  model: { width: 32, heads: 2, layers: 1, mlpRatio: 2, init: null, backend: 'cpu' },
  sft: { steps: 0, batchSize: 32, lr: 3e-3, warmupRatio: 0.05 },
  // Plain SGD on the table: eq. (3.3)'s gradient as written. Adam would rescale the optimism term's tiny
  // per-logit gradients to full-size steps (see AlgorithmConfig.optimizer), whatever α is.
  algorithm: { ...DEFAULT_ALGORITHM, alpha: 1, beta: 0.5, learningRates: 3, epochs: 4, batchSize: 16, optimizer: 'sgd', gradClip: 0 },
  alphaSweep: [0.3, 3, 10],
  seeds: [0, 1, 2, 3, 4, 5, 6, 7],
  ranker: { kind: 'true-reward' },
  eval: { samples: 8, bins: 10 },
  preferences: null,
  limits: DEFAULT_LIMITS,
};

export const DEFAULT_LANGUAGE_EXPERIMENT: ExperimentConfig = {
  name: 'language',
  world: DEFAULT_LANGUAGE,
  model: { width: 32, heads: 2, layers: 1, mlpRatio: 2, init: null, backend: 'cpu' },
  sft: { steps: 100, batchSize: 32, lr: 4e-3, warmupRatio: 0.05 },
  algorithm: { ...DEFAULT_ALGORITHM, alpha: 0.1, beta: 0.1, learningRates: 5e-4, epochs: 3, batchSize: 32 },
  alphaSweep: [1],
  seeds: [0, 1, 2],
  ranker: { kind: 'true-reward' },
  eval: { samples: 8, bins: 10 },
  preferences: null,
  limits: DEFAULT_LIMITS,
};

/** The user's own text (worlds/text.ts): their preference file and judge; the GPT a little larger. */
export const DEFAULT_TEXT_EXPERIMENT: ExperimentConfig = {
  name: 'text',
  world: DEFAULT_TEXT,
  model: { width: 64, heads: 4, layers: 2, mlpRatio: 4, init: null, backend: 'cpu' },
  sft: { steps: 200, batchSize: 16, lr: 3e-3, warmupRatio: 0.05 },
  algorithm: { ...DEFAULT_ALGORITHM, alpha: 0.1, beta: 0.1, iterations: 2, learningRates: 5e-4, epochs: 2, batchSize: 16 },
  alphaSweep: [],
  seeds: [0],
  ranker: { kind: 'module', path: 'judge.mjs' },
  eval: { samples: 4, bins: 10 },
  preferences: 'preferences.jsonl',
  limits: DEFAULT_LIMITS,
};

export class ConfigError extends Error {
  constructor(
    readonly problems: readonly string[],
    where = 'config',
  ) {
    super(`${where} is invalid:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Fields whose value may be a number or a list of numbers, or any value of a union. */
const FLEXIBLE = new Set(['algorithm.learningRates', 'ranker', 'preferences', 'world.demonstrations', 'model.init']);

/** A value as a message shows it: JSON, except that numbers JSON cannot hold (1e999 parses to Infinity) stay numbers. */
function show(v: unknown): string {
  return typeof v === 'number' && !Number.isFinite(v) ? String(v) : (JSON.stringify(v) ?? String(v));
}

/** Paths of the numbers in `input` that are not finite (JSON's 1e999 is Infinity), as '[path]: why'. */
function nonFiniteNumbers(input: unknown, path: string, out: Map<string, string>): void {
  if (typeof input === 'number' && !Number.isFinite(input))
    out.set(path, `${path}: must be a finite number, got ${input} (a JSON number beyond ±1.8e308 overflows)`);
  else if (Array.isArray(input)) input.forEach((v, i) => nonFiniteNumbers(v, `${path}[${i}]`, out));
  else if (isPlainObject(input)) for (const [k, v] of Object.entries(input)) nonFiniteNumbers(v, path === '' ? k : `${path}.${k}`, out);
}

/** Merges `input` onto `defaults`, recording unknown fields and type mismatches. */
function merge(defaults: unknown, input: unknown, path: string, problems: string[]): unknown {
  if (FLEXIBLE.has(path)) return input;
  if (isPlainObject(defaults)) {
    if (!isPlainObject(input)) {
      problems.push(`${path}: must be an object, got ${JSON.stringify(input)}`);
      return defaults;
    }
    const out: Record<string, unknown> = { ...defaults };
    for (const [key, value] of Object.entries(input)) {
      const sub = path === '' ? key : `${path}.${key}`;
      // Own fields only: 'constructor' or '__proto__' are unknown fields, not the prototype's.
      if (!Object.hasOwn(defaults, key)) problems.push(`${sub}: unknown field`);
      else out[key] = merge(defaults[key], value, sub, problems);
    }
    return out;
  }
  // On a type mismatch the default stands in, so that validation can still run and report everything else.
  if (Array.isArray(defaults)) {
    if (!Array.isArray(input)) {
      problems.push(`${path}: must be a list, got ${show(input)}`);
      return defaults;
    }
    return input;
  }
  if (typeof defaults !== typeof input) {
    problems.push(`${path}: must be a ${typeof defaults}, got ${show(input)}`);
    return defaults;
  }
  return input;
}

/** The defaults of a world kind. */
export function defaultsFor(kind: 'bandit' | 'language' | 'text'): ExperimentConfig {
  return structuredClone(
    kind === 'bandit' ? DEFAULT_BANDIT_EXPERIMENT : kind === 'text' ? DEFAULT_TEXT_EXPERIMENT : DEFAULT_LANGUAGE_EXPERIMENT,
  );
}

/**
 * The defaults as a starting config to edit (`selm train --print-config`): without what the world ignores (a
 * bandit has no GPT, no SFT stage and evaluates exactly, so `model`, `sft` and `eval.samples` are left out), so
 * that every field printed is one that changes the run. The parser fills the left-out fields in as before.
 */
export function starterConfig(kind: 'bandit' | 'language' | 'text'): Partial<ExperimentConfig> {
  const config: Partial<ExperimentConfig> = defaultsFor(kind);
  if (kind !== 'bandit') return config;
  delete config.model;
  delete config.sft;
  const { samples: _unused, ...evalFields } = config.eval!;
  return { ...config, eval: evalFields as EvalConfig };
}

/**
 * A config file's text, parsed and validated: the one reading of a config that `selm train --config` and a run
 * folder's config.json share. A byte-order mark is accepted, as in JSONL files; invalid JSON is a ConfigError
 * naming `where`, as every field error is.
 */
export function parseExperimentConfigText(text: string, where = 'config'): ExperimentConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new ConfigError([`not valid JSON (${e instanceof Error ? e.message : String(e)})`], where);
  }
  return parseExperimentConfig(raw, where);
}

/** Parses and validates a config (already JSON-parsed); throws ConfigError listing every problem. */
export function parseExperimentConfig(input: unknown, where = 'config'): ExperimentConfig {
  if (!isPlainObject(input)) throw new ConfigError([`(top level): must be a JSON object, got ${JSON.stringify(input as Json)}`], where);
  const world = input.world;
  const kind = isPlainObject(world) ? world.kind : undefined;
  if (kind !== 'bandit' && kind !== 'language' && kind !== 'text') {
    throw new ConfigError([`world.kind: must be 'bandit', 'language' or 'text', got ${JSON.stringify(kind as Json)}`], where);
  }
  const problems: string[] = [];
  const config = merge(defaultsFor(kind), input, '', problems) as ExperimentConfig;
  // Every problem at once: the type mismatches (replaced by defaults above) and the validation's. A non-finite
  // number is reported once, as itself, rather than again by the field's own rule.
  const nonFinite = new Map<string, string>();
  nonFiniteNumbers(input, '', nonFinite);
  const stated = new Set(problems.map((p) => p.slice(0, p.indexOf(':'))));
  problems.push(...nonFinite.values());
  for (const p of validateExperimentConfig(config)) {
    const field = p.slice(0, p.indexOf(':'));
    if (!stated.has(field) && ![...nonFinite.keys()].some((k) => field === k || field.startsWith(`${k}[`))) problems.push(p);
  }
  if (kind === 'bandit') problems.push(...ignoredSectionProblems(input));
  if (problems.length > 0) throw new ConfigError(problems, where);
  return config;
}

/**
 * A bandit run has no GPT and no SFT stage (its policy starts as the world's π_SFT table): a `model` or `sft`
 * section other than the defaults (which config.json carries) would be silently ignored, so it is an error.
 */
function ignoredSectionProblems(input: Record<string, unknown>): string[] {
  const p: string[] = [];
  for (const section of ['model', 'sft'] as const) {
    if (!Object.hasOwn(input, section)) continue;
    const merged = { ...DEFAULT_BANDIT_EXPERIMENT[section], ...(isPlainObject(input[section]) ? input[section] : {}) };
    if (JSON.stringify(merged) !== JSON.stringify(DEFAULT_BANDIT_EXPERIMENT[section])) {
      p.push(`${section}: the bandit world ignores this section (its policy is a table that starts as π_SFT); remove it`);
    }
  }
  // Evaluation in the bandit is an exact sum over every response: a sample count would be silently unused.
  const evalSection = input.eval;
  if (isPlainObject(evalSection) && Object.hasOwn(evalSection, 'samples') && evalSection.samples !== DEFAULT_BANDIT_EXPERIMENT.eval.samples)
    p.push('eval.samples: the bandit world evaluates exactly (a sum over every response), so it takes no sample count; remove it');
  return p;
}

/** The largest seed whose five streams (streamSeed) are distinct safe integers. */
export const MAX_SEED = Math.floor((Number.MAX_SAFE_INTEGER - 5) / 1009);

export function validateExperimentConfig(c: ExperimentConfig): string[] {
  const p: string[] = [];
  if (typeof c.name !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(c.name))
    p.push(`name: must be 1-64 letters, digits, '_', '.' or '-', got ${JSON.stringify(c.name)}`);
  const worldProblems =
    c.world.kind === 'bandit'
      ? validateBanditConfig(c.world)
      : c.world.kind === 'text'
        ? validateTextConfig(c.world)
        : validateLanguageConfig(c.world);
  p.push(...worldProblems.map((x) => `world.${x}`));
  p.push(...validateAlgorithmConfig(c.algorithm).map((x) => `algorithm.${x}`));
  const posInt = (name: string, v: unknown, min = 1): void => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) p.push(`${name}: must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  };
  const positive = (name: string, v: unknown): void => {
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) p.push(`${name}: must be a number > 0, got ${JSON.stringify(v)}`);
  };
  p.push(...validateModelInit(c.model.init, c.world.kind));
  if (c.world.kind !== 'bandit') {
    posInt('model.width', c.model.width);
    posInt('model.heads', c.model.heads);
    posInt('model.layers', c.model.layers);
    positive('model.mlpRatio', c.model.mlpRatio);
    p.push(...modelBackendProblems(c.model.backend ?? 'cpu'));
    if (c.model.mlpRatio > 0 && Number.isInteger(c.model.width) && !(Math.round(c.model.mlpRatio * c.model.width) >= 1)) {
      p.push(
        `model.mlpRatio: gives an MLP of ${Math.round(c.model.mlpRatio * c.model.width)} units at width ${c.model.width}; needs at least 1, got ${c.model.mlpRatio}`,
      );
    }
    if (Number.isInteger(c.model.width) && Number.isInteger(c.model.heads) && c.model.heads > 0 && c.model.width % c.model.heads !== 0) {
      p.push(`model.heads: must divide model.width (${c.model.width}), got ${c.model.heads}`);
    }
    posInt('sft.steps', c.sft.steps, 0);
    posInt('sft.batchSize', c.sft.batchSize);
    positive('sft.lr', c.sft.lr);
    if (!(c.sft.warmupRatio >= 0 && c.sft.warmupRatio <= 1))
      p.push(`sft.warmupRatio: must be in [0, 1], got ${JSON.stringify(c.sft.warmupRatio)}`);
  }
  if (!(c.algorithm.alpha > 0))
    p.push(
      `algorithm.alpha: SELM's α must be > 0 (α = 0, iterative DPO, always runs as the baseline), got ${JSON.stringify(c.algorithm.alpha)}`,
    );
  c.alphaSweep.forEach((a, i) => {
    if (typeof a !== 'number' || !(a >= 0) || !Number.isFinite(a))
      p.push(`alphaSweep[${i}]: must be a number >= 0, got ${JSON.stringify(a)}`);
  });
  if (c.seeds.length === 0) p.push('seeds: must list at least one seed');
  c.seeds.forEach((s, i) => {
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 0 || s > MAX_SEED)
      p.push(`seeds[${i}]: must be an integer in [0, ${MAX_SEED}] (larger seeds' random streams would collide), got ${show(s)}`);
  });
  if (new Set(c.seeds).size !== c.seeds.length) p.push(`seeds: must be distinct, got ${JSON.stringify(c.seeds)}`);
  const r = c.ranker as unknown;
  const RANKERS: Record<string, string[]> = {
    'true-reward': ['kind'],
    'bradley-terry': ['kind', 'temperature'],
    module: ['kind', 'path'],
    learned: ['kind', 'steps', 'batchSize', 'lr', 'heldOutFraction'],
  };
  if (!isPlainObject(r) || typeof r.kind !== 'string' || !(r.kind in RANKERS)) {
    p.push(
      `ranker.kind: must be 'true-reward', 'bradley-terry', 'module' or 'learned', got ${JSON.stringify(isPlainObject(r) ? (r.kind as Json) : (r as Json))}`,
    );
  } else {
    const allowed = RANKERS[r.kind]!;
    for (const key of Object.keys(r)) if (!allowed.includes(key)) p.push(`ranker.${key}: unknown field for a '${String(r.kind)}' ranker`);
    if (r.kind === 'bradley-terry') positive('ranker.temperature', r.temperature);
    if (r.kind === 'module' && (typeof r.path !== 'string' || r.path === ''))
      p.push(`ranker.path: must be the path of a JavaScript module (./judge.mjs), got ${JSON.stringify(r.path as Json)}`);
    if (r.kind === 'learned') p.push(...validateLearnedConfig(r));
    if (r.kind === 'learned' && c.world.kind === 'bandit')
      p.push("ranker.kind: a learned judge needs token sequences (the language or text world), not the bandit's table");
    if (c.world.kind === 'text' && r.kind !== 'module' && r.kind !== 'learned') {
      p.push('ranker.kind: the text world has no true reward; use {"kind": "module", "path": "./judge.mjs"} or {"kind": "learned"}');
    }
  }
  posInt('eval.samples', c.eval.samples);
  posInt('eval.bins', c.eval.bins, 2);
  if (c.preferences !== null && typeof c.preferences !== 'string')
    p.push(`preferences: must be a path to a JSONL file or null, got ${JSON.stringify(c.preferences as Json)}`);
  if (c.world.kind === 'text' && typeof c.preferences !== 'string') p.push('preferences: the text world needs a JSONL preference file');
  const limitProblems = limitsProblems(c.limits);
  p.push(...limitProblems);
  // The estimate needs sane sizes: only when everything else holds.
  if (p.length === 0) p.push(...resourceProblems(c, c.limits));
  return p;
}

/** Methods of an experiment: DPO (α = 0), SELM at its α, then the α sweep (duplicates dropped). */
export interface Method {
  name: string;
  alpha: number;
}

export function methodsOf(c: ExperimentConfig): Method[] {
  const alphas = [0, c.algorithm.alpha, ...c.alphaSweep];
  const seen = new Set<number>();
  const out: Method[] = [];
  for (const alpha of alphas) {
    if (seen.has(alpha)) continue;
    seen.add(alpha);
    out.push({ name: alpha === 0 ? 'DPO' : alpha === c.algorithm.alpha ? 'SELM' : `SELM α=${alpha}`, alpha });
  }
  return out;
}

/** A file-name-safe form of a method name. */
export function methodSlug(name: string): string {
  return name === 'DPO' ? 'dpo' : name === 'SELM' ? 'selm' : `selm-alpha-${name.replace(/^SELM α=/, '')}`;
}

/**
 * Seeds of a run's independent random streams: 1 model init, 2 SFT batches, 3 Algorithm 1, 4 ranker,
 * 5 evaluation. Pure, so the teaching page reproduces `selm train` number for number.
 */
export function streamSeed(seed: number, stream: 1 | 2 | 3 | 4 | 5): number {
  const s = seed * 1009 + stream;
  // Beyond 2^53 neighbouring streams round to one number: the runs would silently share their randomness.
  if (!Number.isSafeInteger(s))
    throw new RangeError(`streamSeed: seed ${seed} is outside [0, ${MAX_SEED}]; its random streams would collide`);
  return s;
}
