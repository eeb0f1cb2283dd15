/** Files the CLI reads and writes outside a run folder (Node only): configs' preference sets, exports. */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../nn/node/checkpoint-file.js';
import type { Preference } from '../../selm/types.js';
import { DataError, parsePreferencesJsonl, preferencesToJsonl } from '../data.js';
import type { World } from '../worlds/types.js';

/** A text file's content; a DataError naming the file when it cannot be read. */
export function readTextFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new DataError(`${path}: cannot read (${e instanceof Error ? e.message : String(e)})`);
  }
}

export function readPreferencesJsonl(path: string, world: World): Preference[] {
  return parsePreferencesJsonl(readTextFile(path), world, path);
}

/** Writes the set atomically. */
export function writePreferencesJsonl(path: string, preferences: readonly Preference[], world: World): void {
  try {
    writeFileAtomic(path, new TextEncoder().encode(preferencesToJsonl(preferences, world)));
  } catch (e) {
    // writeFileAtomic's message names `path` (not its temporary file); a bad --out is invalid input.
    throw new DataError(e instanceof Error ? e.message : String(e));
  }
}
