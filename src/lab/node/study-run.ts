/** The demo's studies on worker threads, their report written into a folder (Node only). */
import { demoStudies } from '../demo.js';
import { runStudy } from '../study.js';
import { writeStudyReport } from '../study-report.js';
import type { StudySummary } from '../study-summary.js';
import { FolderStorage } from './folder-storage.js';
import { workerSeedRunner } from './parallel.js';

/** Runs the table-world and smooth-world studies and writes `dir` (summary.md, <name>.json, figures/). */
export async function runDemoStudies(dir: string, quick: boolean, onStudy?: (name: string) => void): Promise<StudySummary[]> {
  const runner = workerSeedRunner();
  const results = [];
  for (const config of demoStudies(quick)) {
    onStudy?.(config.name);
    results.push(await runStudy(config, runner));
  }
  return writeStudyReport(new FolderStorage(dir), results);
}
