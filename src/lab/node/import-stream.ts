/**
 * Streaming import of a preference JSONL file (Node only): lines are read one at a time (node:readline over a
 * file stream), so a file of any size imports in bounded memory when the caller does not keep the records
 * (`selm data import --out` writes each normalised record as it goes). Errors name FILE:LINE and the field.
 */
import { closeSync, createReadStream, existsSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { DataError } from '../data.js';
import { countExtras, parseJsonlLine, RecordError, type PreferenceRecord } from '../data/records.js';

export interface ImportSummary {
  records: number;
  /** Extra columns (kept in each record's `extra`), with how many records had them. */
  extras: Record<string, number>;
  /** Records with a reference_response / with judge scores. */
  withReference: number;
  withScores: number;
}

/** Calls `onRecord` for every record of the file, in order; throws DataError on the first bad line. */
export async function streamPreferenceRecords(
  path: string,
  onRecord: (record: PreferenceRecord, line: number) => void | Promise<void>,
): Promise<ImportSummary> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  const opened = new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (e) => reject(new DataError(`${path}: cannot read (${e.message})`)));
  });
  await opened;
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  const extras = new Map<string, number>();
  const summary: ImportSummary = { records: 0, extras: {}, withReference: 0, withScores: 0 };
  let n = 0;
  try {
    for await (const raw of lines) {
      n++;
      let record: PreferenceRecord | null;
      try {
        record = parseJsonlLine(raw, `${path}:${n}`, n);
      } catch (e) {
        throw e instanceof RecordError ? new DataError(e.message) : e;
      }
      if (record === null) continue;
      summary.records++;
      countExtras(extras, record);
      if (record.referenceResponse !== undefined) summary.withReference++;
      if (record.scoreChosen !== undefined || record.scoreRejected !== undefined) summary.withScores++;
      await onRecord(record, n);
    }
  } finally {
    lines.close();
    stream.destroy();
  }
  if (summary.records === 0) throw new DataError(`${path}: no preference triples`);
  summary.extras = Object.fromEntries([...extras.entries()].sort());
  return summary;
}

/** A record as the normalised JSONL line: standard TRL columns, then the extras as they were. */
export function normalisedLine(r: PreferenceRecord): string {
  const out: Record<string, unknown> = { prompt: r.prompt, chosen: r.chosen, rejected: r.rejected };
  if (r.referenceResponse !== undefined) out.reference_response = r.referenceResponse;
  if (r.scoreChosen !== undefined) out.score_chosen = r.scoreChosen;
  if (r.scoreRejected !== undefined) out.score_rejected = r.scoreRejected;
  return `${JSON.stringify({ ...out, ...r.extra })}\n`;
}

/**
 * Streams `path` into `out` as normalised JSONL (written to a temporary file, renamed when complete, so a bad
 * line leaves no half-written output); `check` may reject a record (a world's vocabulary).
 */
export async function importPreferenceFile(
  path: string,
  out: string | null,
  check?: (record: PreferenceRecord, where: string) => void,
): Promise<ImportSummary> {
  // The folder is checked first, so the error names the output asked for and not the hidden temporary file.
  if (out !== null && !existsSync(dirname(out))) throw new DataError(`${out}: cannot write (the folder ${dirname(out)} does not exist)`);
  const temp = out === null ? null : join(dirname(out), `.${basename(out)}.${process.pid}.tmp`);
  const fd = temp === null ? null : openSync(temp, 'wx');
  // Lines are gathered into chunks of about 1 MB, so memory stays bounded and writes stay few.
  let chunk = '';
  const flush = (): void => {
    if (fd !== null && chunk.length > 0) writeSync(fd, chunk);
    chunk = '';
  };
  try {
    const summary = await streamPreferenceRecords(path, (record, line) => {
      check?.(record, `${path}:${line}`);
      if (fd === null) return;
      chunk += normalisedLine(record);
      if (chunk.length > 1 << 20) flush();
    });
    flush();
    if (fd !== null) {
      fsyncSync(fd);
      closeSync(fd);
      renameSync(temp!, out!);
    }
    return summary;
  } catch (e) {
    if (fd !== null) {
      closeSync(fd);
      unlinkSync(temp!);
    }
    throw e;
  }
}
