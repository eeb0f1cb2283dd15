/**
 * Progress of a run (see output.ts for the convention): with --json, progress records on stdout among the other
 * JSON lines; otherwise on stderr, so the results table on stdout stays clean: a redrawn bar with the step, ETA
 * and current loss on a terminal, and one plain line per tenth of the run when stderr is a file or a pipe.
 */
import type { ProgressEvent } from '../lab/runner.js';
import { jsonLine } from './output.js';

export interface Reporter {
  onEvent(event: ProgressEvent): void;
  /** Ends the bar's line (a terminal) before other output. */
  finish(): void;
  readonly json: boolean;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  if (seconds < 60) return `${seconds.toFixed(0)}s`;
  return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
}

/** A bar for terminals, redrawn at most every 100 ms. */
export function terminalReporter(stream: NodeJS.WriteStream = process.stderr): Reporter {
  let started = performance.now();
  let startDone = 0;
  let lastDraw = 0;
  let open = false;
  const draw = (e: Extract<ProgressEvent, { type: 'step' }>): void => {
    const now = performance.now();
    if (now - lastDraw < 100 && e.doneSteps < e.totalSteps) return;
    lastDraw = now;
    const fraction = e.totalSteps > 0 ? e.doneSteps / e.totalSteps : 1;
    const width = 24;
    const filled = Math.round(fraction * width);
    const rate = (e.doneSteps - startDone) / ((now - started) / 1000);
    const eta = rate > 0 ? (e.totalSteps - e.doneSteps) / rate : Number.NaN;
    const where = `${e.experiment} seed ${e.seed} ${e.method}${e.method === 'SFT' ? '' : ` iter ${e.iteration}`}`;
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% step ${e.doneSteps}/${e.totalSteps} ETA ${formatDuration(eta)} loss ${e.loss.toFixed(4)}  ${where}`;
    stream.write(`\r\x1b[2K${line.slice(0, (stream.columns ?? 120) - 1)}`);
    open = true;
  };
  return {
    json: false,
    onEvent(e) {
      if (e.type === 'start') {
        started = performance.now();
        startDone = e.doneSteps;
      } else if (e.type === 'step') draw(e);
    },
    finish() {
      if (open) stream.write('\r\x1b[2K');
      open = false;
    },
  };
}

/**
 * One JSON record per event (type and command first, then the event's fields), one per line. Step events are
 * thinned to one per `stepIntervalMs` (and the last), so a log stays readable; every start, iteration and done
 * event is written.
 */
export function jsonReporter(
  command: string,
  write: (line: string) => void = (l) => process.stdout.write(l),
  stepIntervalMs = 100,
): Reporter {
  let lastStep = -Infinity;
  return {
    json: true,
    onEvent(e) {
      if (e.type === 'step') {
        const now = performance.now();
        if (now - lastStep < stepIntervalMs && e.doneSteps < e.totalSteps) return;
        lastStep = now;
      }
      write(jsonLine(command, e));
    },
    finish() {},
  };
}

/** For a stderr that is not a terminal (a log file, CI): one line per tenth of a run's steps, nothing redrawn. */
export function plainReporter(command: string, write: (line: string) => void = (l) => process.stderr.write(l)): Reporter {
  let lastTenth = -1;
  return {
    json: false,
    onEvent(e) {
      if (e.type === 'start') lastTenth = e.totalSteps > 0 ? Math.floor((10 * e.doneSteps) / e.totalSteps) : 10;
      else if (e.type === 'step' && e.totalSteps > 0) {
        const tenth = Math.floor((10 * e.doneSteps) / e.totalSteps);
        if (tenth <= lastTenth) return;
        lastTenth = tenth;
        write(`selm ${command}: ${e.experiment} ${tenth * 10}% (step ${e.doneSteps}/${e.totalSteps}, loss ${e.loss.toFixed(4)})\n`);
      }
    },
    finish() {},
  };
}

/** The reporter for this process: JSON records with --json, else a bar on a terminal, else plain lines. */
export function chooseReporter(command: string, json: boolean): Reporter {
  if (json) return jsonReporter(command);
  return process.stderr.isTTY ? terminalReporter() : plainReporter(command);
}
