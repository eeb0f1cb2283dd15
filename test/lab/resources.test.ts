/**
 * The resource estimate (src/lab/resources.ts) against what the config really builds: the parameter count is
 * the GPT's (or the bandit table's) exactly, the samples are the responses the world and the evaluation hold,
 * and the activation estimate bounds the float64 values one training batch's graph keeps for backward.
 */
import { describe, expect, it } from 'vitest';
import { parseExperimentConfig } from '../../src/lab/config.js';
import { estimateResources } from '../../src/lab/resources.js';
import { buildWorld, initialPolicy } from '../../src/lab/runner.js';

const parameterCount = (config: ReturnType<typeof parseExperimentConfig>): number =>
  initialPolicy(config, buildWorld(config, 0), 0)
    .parameters()
    .reduce((n, p) => n + p.size, 0);

describe('estimateResources', () => {
  it.each([
    { width: 16, layers: 1, heads: 2, mlpRatio: 4 },
    { width: 24, layers: 3, heads: 3, mlpRatio: 2.5 },
    { width: 8, layers: 2, heads: 1, mlpRatio: 1 },
  ])('counts a language world GPT’s parameters exactly: %o', (model) => {
    for (const letters of [4, 6]) {
      const config = parseExperimentConfig({ world: { kind: 'language', letters }, model });
      expect(estimateResources(config).parameters).toBe(parameterCount(config));
    }
  });

  it('counts the bandit table’s logits exactly', () => {
    const config = parseExperimentConfig({ world: { kind: 'bandit', tasks: 3, responses: 7 } });
    expect(estimateResources(config).parameters).toBe(parameterCount(config));
  });
});
