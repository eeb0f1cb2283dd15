/**
 * Preference sets as JSONL, one {"prompt", "chosen", "rejected"} object per line: the format TRL's DPOTrainer
 * and the Hugging Face hub use. Texts are in a world's own vocabulary (its formatPrompt / formatResponse).
 * Reading validates every line and reports the first bad one as 'file:line: why'. Browser-safe: the files
 * themselves are read and written by node/files.ts.
 */
import type { Preference } from '../selm/types.js';
import type { World } from './worlds/types.js';
import { parseJsonlLine, RecordError, type PreferenceRecord } from './data/records.js';

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

/**
 * Parses JSONL text into a world's tokens; `file` names the source in errors. Blank lines are skipped. Every
 * shape of data/records.ts is accepted (TRL standard and conversational, UltraFeedback-binarized, this
 * project's D_t export with its '<sep>'); the texts must still be valid in the world's vocabulary.
 */
export function parsePreferencesJsonl(text: string, world: World, file: string): Preference[] {
  const out: Preference[] = [];
  text.split('\n').forEach((raw, i) => {
    const where = `${file}:${i + 1}`;
    let record: PreferenceRecord | null;
    try {
      record = parseJsonlLine(raw, where, i + 1);
    } catch (e) {
      throw e instanceof RecordError ? new DataError(e.message) : e;
    }
    if (record === null) return;
    out.push(preferenceInWorld(record, world, where));
  });
  if (out.length === 0) throw new DataError(`${file}: no preference triples`);
  return out;
}

/** A record's texts as the world's tokens; a text the world rejects is a DataError naming FILE:LINE and the field. */
export function preferenceInWorld(record: PreferenceRecord, world: World, where: string): Preference {
  const parse = (field: string, f: () => readonly number[]): readonly number[] => {
    try {
      return f();
    } catch (e) {
      throw new DataError(`${where}: ${e instanceof Error ? e.message : String(e)} (field '${field}')`);
    }
  };
  return {
    prompt: parse('prompt', () => world.parsePrompt(record.prompt)),
    chosen: parse('chosen', () => world.parseResponse(record.chosen)),
    rejected: parse('rejected', () => world.parseResponse(record.rejected)),
  };
}
