/** `selm export hf|trl` and `selm import hf|data` on a small finished run. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultsFor } from '../../src/lab/config.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/nn/safetensors.js';
import { runExperiment } from '../../src/lab/runner.js';
import { FolderStorage } from '../../src/lab/node/folder-storage.js';
import { selm } from './capture.js';

const root = mkdtempSync(join(tmpdir(), 'selm-export-'));
const run = join(root, 'run');

beforeAll(async () => {
  const c = defaultsFor('language');
  c.name = 'tiny';
  c.seeds = [1];
  c.sft.steps = 3;
  c.alphaSweep = [];
  c.algorithm.iterations = 2;
  c.algorithm.epochs = 1;
  c.eval.samples = 1;
  if (c.world.kind === 'language') c.world = { ...c.world, pairsPerPrompt: 2 };
  await runExperiment(c, { storage: new FolderStorage(run) });
}, 60_000);

describe('selm export / import', () => {
  it('exports a checkpoint as a Hugging Face folder that imports back', async () => {
    const out = join(root, 'hf');
    const e = await selm('export', 'hf', run, '--iteration', '1', '--method', 'dpo', '--out', out, '--json');
    expect(e.code).toBe(0);
    const files = (JSON.parse(e.stdout) as { files: string[] }).files;
    expect(files).toEqual(expect.arrayContaining(['config.json', 'model.safetensors', 'tokenizer.json']));
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ architectures: ['GPT2LMHeadModel'], n_head: 2, n_embd: 32, activation_function: 'gelu_new' });
    const i = await selm('import', 'hf', out, '--out', join(root, 'model.safetensors'));
    expect(i.code).toBe(0);
    expect(i.stdout).toMatch(/GPT-2 with 1 layers, width 32, 2 heads/);
    expect(existsSync(join(root, 'model.safetensors'))).toBe(true);
  });

  it('a folder with a NaN weight is refused on import (exit 2), naming its weights file and the tensor', async () => {
    const out = join(root, 'hf-nan');
    expect((await selm('export', 'hf', run, '--iteration', '1', '--out', out)).code).toBe(0);
    const weights = join(out, 'model.safetensors');
    const decoded = decodeSafetensors(readFileSync(weights));
    decoded.tensors.get('transformer.wte.weight')!.data[3] = Number.NaN;
    writeFileSync(weights, encodeSafetensors(decoded.tensors, decoded.metadata));
    const target = join(root, 'nan.safetensors');
    const i = await selm('import', 'hf', out, '--out', target);
    expect(i.code).toBe(2);
    expect(i.stderr).toContain(`${weights}: the weights are not finite: 'transformer.wte.weight' holds NaN at index 3`);
    expect(existsSync(target)).toBe(false);
  });

  it("exports the TRL hand-off: every iteration's D_t, the SFT model, the config mapping", async () => {
    const out = join(root, 'trl');
    const e = await selm('export', 'trl', run, '--out', out);
    expect(e.code).toBe(0);
    for (const f of [
      'data/dpo/iter1.jsonl',
      'data/dpo/iter2.jsonl',
      'data/selm/iter1.jsonl',
      'data/selm/iter2.jsonl',
      'model/config.json',
      'trl_config.json',
      'README.md',
    ]) {
      expect(existsSync(join(out, f))).toBe(true);
    }
    const mapping = JSON.parse(readFileSync(join(out, 'trl_config.json'), 'utf8')) as {
      selm: { alpha: number };
      xpo: { alpha: number };
      dpo_config: { beta: number };
    };
    expect(mapping.selm.alpha).toBe(0.1);
    expect(mapping.xpo.alpha).toBe(0.01);
    expect(mapping.dpo_config.beta).toBe(0.1);
  });

  it('errors: a missing checkpoint, an unknown method, a bad folder', async () => {
    expect((await selm('export', 'hf', run, '--iteration', '7')).stderr).toMatch(/iter7\.safetensors: no such checkpoint/);
    expect((await selm('export', 'hf', run, '--method', 'ppo')).stderr).toMatch(/no method 'ppo' \(the run has dpo, selm\)/);
    const bad = join(root, 'bad');
    const missing = await selm('import', 'hf', root);
    expect(missing.stderr).toMatch(/config\.json: cannot read/);
    expect(missing.code).toBe(2);
    expect((await selm('export', 'nope', run)).code).toBe(2);
    writeFileSync(bad, '{"prompt": 1}\n');
    const d = await selm('import', 'data', bad);
    expect(d.code).toBe(2);
    expect(d.stderr).toContain(`${bad}:1: field 'chosen': is missing`);
  });
});
