/** The demo's studies on worker threads, their report written into a folder (Node only). */
import { demoStudies, languageStudy } from '../demo.js';
import { runStudy } from '../study.js';
import { writeStudyReport } from '../study-report.js';
import type { StudySummary } from '../study-summary.js';
import { FolderStorage } from './folder-storage.js';
import { workerSeedRunner } from './parallel.js';
import type { ModelBackend } from '../model-backend.js';

/**
 * Runs the bandit worlds' studies (table, smooth, prompt-context) or, with `language`, the language world's
 * study alone, and writes `dir` (summary.md, <name>.json, figures/).
 */
export async function runDemoStudies(
  dir: string,
  quick: boolean,
  onStudy?: (name: string) => void,
  language = false,
  /** The GPT's backend in the language study (model-backend.ts); the bandit studies compute in float64 on the cpu. */
  backend: ModelBackend = 'cpu',
): Promise<StudySummary[]> {
  const runner = workerSeedRunner();
  const results = [];
  for (const config of language ? [languageStudy(quick, backend)] : demoStudies(quick)) {
    onStudy?.(config.name);
    results.push(await runStudy(config, runner));
  }
  return writeStudyReport(new FolderStorage(dir), results);
}
