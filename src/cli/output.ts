/**
 * The output convention every `selm` command follows (README, "Commands", says the same for users).
 *
 * Exit codes: 0 success; 2 a usage or input error, found before any work starts (an unknown command, flag or
 * stray argument, a bad option value, an invalid config or preference file, a folder that holds no run), or a
 * judge module or starting model that fails (the user's input too, even when it fails mid-run);
 * 1 a failure while working (a non-finite loss, a failed gradient check, a file that cannot be written).
 *
 * Streams: stdout carries the command's result and nothing else; stderr carries progress, notes and errors.
 * Without --json, stdout is text for people (the results table); progress is a redrawn bar on stderr when it is
 * a terminal and a few plain lines otherwise, so `selm train ... | cat` and `npm start --silent > out.txt`
 * give a clean table. With --json, stdout is JSON lines and nothing else, one record per line:
 *
 *   {"type": "start" | "step" | "iteration" | "done", "command": C, ...}  progress of a run (its ProgressEvent)
 *   {"type": "result", "command": C, "ok": boolean, ...}                the outcome: the last line when the
 *                                                                        command ran (ok false: checks failed)
 *   {"type": "error", "command": C, "exitCode": 1 | 2, "message": M}    the last line when it could not run
 *
 * C is the command: demo, train, eval, judges, gradcheck, tour, data export or data import. Every record starts with
 * "type" and "command"; a result's other fields are the command's (runs: dir and results, one table per
 * experiment; checks: results, one row per check; data: count and the files).
 */

/** A command's outcome under --json: its own fields next to the common ones. */
export type ResultRecord = { ok: boolean } & Record<string, unknown>;

/** One JSON line: `type` and `command` first, then the record's own fields. */
export function jsonLine(command: string, record: { type: string; [field: string]: unknown }): string {
  const { type, ...fields } = record;
  return `${JSON.stringify({ type, command, ...fields })}\n`;
}

/** Writes a command's result record (the --json counterpart of its text output) to stdout. */
export function printResult(command: string, result: ResultRecord): void {
  process.stdout.write(jsonLine(command, { type: 'result', ...result }));
}

/** Whether argv asks for JSON output (a `--json` before any `--`), for records written before parsing succeeds. */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

/** The record of a command that could not run (its message also goes to stderr, for people). */
export function errorLine(command: string, exitCode: 1 | 2, message: string): string {
  return jsonLine(command, { type: 'error', exitCode, message });
}
