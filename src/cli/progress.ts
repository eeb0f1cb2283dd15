/**
 * Progress of a run: on a terminal, one redrawn bar with the step, ETA and current loss (on stderr, so the
 * results table on stdout stays clean); otherwise, or with --json, one JSON object per line on stdout.
 */
import type { ProgressEvent } from '../lab/runner.js';

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
 * One JSON object per event, one per line. Step events are thinned to one per `stepIntervalMs` (and the
 * last), so a log stays readable; every start, iteration and done event is written.
 */
export function jsonReporter(write: (line: string) => void = (l) => process.stdout.write(l), stepIntervalMs = 100): Reporter {
  let lastStep = -Infinity;
  return {
    json: true,
    onEvent(e) {
      if (e.type === 'step') {
        const now = performance.now();
        if (now - lastStep < stepIntervalMs && e.doneSteps < e.totalSteps) return;
        lastStep = now;
      }
      write(`${JSON.stringify(e)}\n`);
    },
    finish() {},
  };
}

/** The reporter for this process: a bar on a terminal unless --json. */
export function chooseReporter(json: boolean): Reporter {
  return !json && process.stderr.isTTY ? terminalReporter() : jsonReporter();
}
