/**
 * The public API, pinned: every name each entry point exports, sorted, must equal public-api.json. A change to
 * the API is then a visible diff in that file (regenerate it with UPDATE_PUBLIC_API=1 npx vitest run
 * test/architecture/public-api.test.ts, and review the diff as part of the change).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as root from '../../src/index.js';
import * as node from '../../src/node.js';
import * as testing from '../../src/testing/index.js';

const FILE = join(import.meta.dirname, 'public-api.json');
const NAMESPACES = ['nn', 'selm', 'lab', 'fast'] as const;

function names(module: object): string[] {
  return Object.keys(module).sort();
}

function currentApi(): Record<string, string[]> {
  const api: Record<string, string[]> = { 'selm-ts': names(root).filter((n) => !(NAMESPACES as readonly string[]).includes(n)) };
  for (const ns of NAMESPACES) api[`selm-ts: ${ns}`] = names((root as unknown as Record<string, object>)[ns]!);
  api['selm-ts/node'] = names(node);
  api['selm-ts/testing'] = names(testing);
  return api;
}

describe('public API', () => {
  it('is exactly the pinned list of names', () => {
    const api = currentApi();
    if (process.env.UPDATE_PUBLIC_API === '1') writeFileSync(FILE, `${JSON.stringify(api, null, 1)}\n`);
    const pinned = JSON.parse(readFileSync(FILE, 'utf8')) as Record<string, string[]>;
    expect(api).toEqual(pinned);
  });

  it('keeps rule tables, backend singletons and the fused names out of the root', () => {
    const rootNames = names(root);
    for (const internal of [
      'elementwiseRules',
      'FUSED_RULES',
      'PRIMITIVES',
      'sumToShape',
      'cpuBackend',
      'sharedGpujsBackend',
      'softmaxFused',
    ]) {
      expect(rootNames, internal).not.toContain(internal);
    }
    expect(names((root as unknown as { fast: object }).fast)).toEqual([
      'crossEntropy',
      'gelu',
      'layerNorm',
      'linear',
      'maskedSoftmax',
      'softmax',
    ]);
  });
});
