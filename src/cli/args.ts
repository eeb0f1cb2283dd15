/**
 * Argument parsing for every `selm` command, on Node's own `util.parseArgs` in strict mode: an unknown option,
 * a missing value or a stray argument is a UsageError (exit code 2) that names it, never a silent default.
 */
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

export function parse(command: string, argv: string[], options: OptionSpec, allowPositionals = 0): Parsed {
  let parsed: Parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: allowPositionals > 0,
    }) as Parsed;
  } catch (e) {
    throw new UsageError(`selm ${command}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (parsed.positionals.length > allowPositionals)
    throw new UsageError(`selm ${command}: unexpected argument '${parsed.positionals[allowPositionals]}'`);
  return parsed;
}

export function stringOption(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A repeatable string option's values (empty when not given). */
export function listOption(p: Parsed, name: string): string[] {
  const v = p.values[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];
}

export function flag(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}

/** An integer option in [min, max]. */
export function intOption(command: string, p: Parsed, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const raw = stringOption(p, name);
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new UsageError(`selm ${command}: --${name} must be an integer in [${min}, ${max}], got '${raw}'`);
  }
  return v;
}

/** A UTC timestamp for default run folder names: 20261128-101500. */
export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}
