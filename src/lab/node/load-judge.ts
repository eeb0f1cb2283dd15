/** Loads a judge module from a path (Node only), once; a missing or broken file is a JudgeError naming it. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { JudgeError, textJudgeFromModule, type JudgeModule, type TextJudge } from '../module-judge.js';

export async function loadJudgeModule(path: string): Promise<TextJudge> {
  const full = resolve(path);
  if (!existsSync(full)) throw new JudgeError(`judge ${path}: no such file (${full})`);
  let module: JudgeModule;
  try {
    module = (await import(pathToFileURL(full).href)) as JudgeModule;
  } catch (e) {
    throw new JudgeError(`judge ${path}: cannot be loaded: ${e instanceof Error ? e.message : String(e)}`);
  }
  return textJudgeFromModule(module, path);
}
