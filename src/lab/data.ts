/**
 * Preference sets as JSONL, one {"prompt", "chosen", "rejected"} object per line: the format TRL's DPOTrainer
 * and the Hugging Face hub use. Texts are in a world's own vocabulary (its formatPrompt / formatResponse).
 * Reading validates every line and reports the first bad one as 'file:line: why'. Browser-safe: the files
 * themselves are read and written by node/files.ts.
 */
import type { Preference } from '../selm/types.js';
import type { World } from './worlds/types.js';

export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataError';
  }
}

/** The JSONL text of a preference set. */
export function preferencesToJsonl(preferences: readonly Preference[], world: World): string {
  return preferences
    .map((p) => JSON.stringify({ prompt: world.formatPrompt(p.prompt), chosen: world.formatResponse(p.chosen), rejected: world.formatResponse(p.rejected) }))
    .join('\n')
    .concat(preferences.length > 0 ? '\n' : '');
}

/** Parses JSONL text; `file` names the source in errors. Blank lines are skipped. */
export function parsePreferencesJsonl(text: string, world: World, file: string): Preference[] {
  const out: Preference[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const where = `${file}:${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new DataError(`${where}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DataError(`${where}: expected a JSON object with prompt, chosen and rejected`);
    const record = value as Record<string, unknown>;
    for (const key of ['prompt', 'chosen', 'rejected']) {
      if (typeof record[key] !== 'string') throw new DataError(`${where}: field '${key}' must be a string, got ${JSON.stringify(record[key]) ?? 'nothing'}`);
    }
    try {
      out.push({
        prompt: world.parsePrompt(record.prompt as string),
        chosen: world.parseResponse(record.chosen as string),
        rejected: world.parseResponse(record.rejected as string),
      });
    } catch (e) {
      throw new DataError(`${where}: ${e instanceof Error ? e.message : String(e)}`);
    }
  });
  if (out.length === 0) throw new DataError(`${file}: no preference triples`);
  return out;
}
