/**
 * The demo's experiments (`selm demo`, `npm start`): the bandit world (Figure 1 made runnable, exact
 * expectations, an α sweep) and the language world (a tiny GPT), SELM against iterative DPO over several
 * seeds. Sized to finish within 2 minutes on 2 CPU cores, and `quick` within 20 seconds (for tests).
 */
import { defaultsFor, type ExperimentConfig } from './config.js';

export function demoConfigs(quick: boolean): ExperimentConfig[] {
  const bandit = defaultsFor('bandit');
  const language = defaultsFor('language');
  if (!quick) return [bandit, language];
  bandit.name = 'bandit-quick';
  bandit.seeds = [0, 1, 2];
  bandit.alphaSweep = [3];
  language.name = 'language-quick';
  language.seeds = [0, 1];
  language.sft.steps = 40;
  language.alphaSweep = [];
  // 96 triples, 32 per iteration: 2 steps per epoch, 4 per iteration (the first is warm-up at lr 0).
  language.algorithm.epochs = 2;
  language.algorithm.batchSize = 16;
  if (language.world.kind === 'language') language.world = { ...language.world, pairsPerPrompt: 4 };
  language.eval.samples = 4;
  return [bandit, language];
}
