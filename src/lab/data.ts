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
    .map((p) =>
      JSON.stringify({
        prompt: world.formatPrompt(p.prompt),
        chosen: world.formatResponse(p.chosen),
        rejected: world.formatResponse(p.rejected),
      }),
    )
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

/** Control characters shown as escapes (a NUL in a string is otherwise invisible in an error). */
export function escapeControl(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Lines (1-based, blank lines counted) that repeat an earlier line's triple, as [line, first line]. */
export function duplicatePreferenceLines(text: string): [number, number][] {
  const seen = new Map<string, number>();
  const out: [number, number][] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    let key: string;
    try {
      const v = JSON.parse(raw) as Record<string, unknown>;
      key = JSON.stringify([v.prompt, v.chosen, v.rejected].map((x) => (typeof x === 'string' ? x.trim().replace(/\s+/g, ' ') : x)));
    } catch {
      return;
    }
    const first = seen.get(key);
    if (first === undefined) seen.set(key, i + 1);
    else out.push([i + 1, first]);
  });
  return out;
}

/**
 * A record's texts as the world's tokens; a text the world rejects is a DataError naming FILE:LINE and the field.
 * What is read must be what an export writes back (up to spacing): '#99999999999999999999999' would come back as
 * '#1e+23' and 9007199254740993 as ...992, silently another example; and chosen must differ from rejected.
 */
export function preferenceInWorld(record: PreferenceRecord, world: World, where: string): Preference {
  const parse = (field: string, f: () => readonly number[]): readonly number[] => {
    try {
      return f();
    } catch (e) {
      throw new DataError(escapeControl(`${where}: ${e instanceof Error ? e.message : String(e)} (field '${field}')`));
    }
  };
  const triple: Preference = {
    prompt: parse('prompt', () => world.parsePrompt(record.prompt)),
    chosen: parse('chosen', () => world.parseResponse(record.chosen)),
    rejected: parse('rejected', () => world.parseResponse(record.rejected)),
  };
  const spaced = (text: string): string => text.trim().replace(/\s+/g, ' ');
  const written = {
    prompt: world.formatPrompt(triple.prompt),
    chosen: world.formatResponse(triple.chosen),
    rejected: world.formatResponse(triple.rejected),
  };
  for (const key of ['prompt', 'chosen', 'rejected'] as const) {
    if (spaced(written[key]) !== spaced(record[key])) {
      throw new DataError(
        escapeControl(
          `${where}: field '${key}' ${JSON.stringify(record[key])} would be written back as ${JSON.stringify(written[key])}: not a value this world can hold exactly`,
        ),
      );
    }
  }
  if (written.chosen === written.rejected)
    throw new DataError(
      escapeControl(
        `${where}: chosen and rejected are the same response (${JSON.stringify(written.chosen)}): the pair states no preference`,
      ),
    );
  return triple;
}
