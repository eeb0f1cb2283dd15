/**
 * The GPT's gradients are right because float64 finite differences say so: gradcheck (fast mode) of the
 * cross-entropy loss with respect to every parameter tensor, with and without a padding mask, and with
 * untied output weights. A gradient that is wrong for any one parameter fails here and names it.
 */
import { describe, expect, test } from 'vitest';
import { add, sum, Generator, gradcheckReport, describeReport } from '../../src/autograd/index.js';
import { languageModelLoss, IGNORE_INDEX, type GPT, type GPTConfig } from '../../src/nn/index.js';
import { randomIds, tinyGPT } from './helpers.js';

function checkEveryParameter(model: GPT, ids: number[][], targets: number[][], paddingMask?: number[][]): void {
  const named = model.namedParameters();
  const loss = () => languageModelLoss(model.forward(ids, paddingMask ? { paddingMask } : {}), targets);
  const report = gradcheckReport(
    loss,
    named.map(([, p]) => p),
    { fastMode: true, seed: 7 },
  );
  const failing = report.mismatches.map((m) => named[m.input]![0]);
  expect(failing, describeReport(report)).toEqual([]);
  expect(report.ok, describeReport(report)).toBe(true);
}

describe('GPT gradcheck (float64, fast mode, every parameter)', () => {
  const gen = new Generator(3);
  const ids = randomIds(gen, 2, 4, 11);
  const targets = randomIds(gen, 2, 4, 11);

  test('without a padding mask (tied embeddings: the token table gets two gradient paths)', () => {
    const model = tinyGPT(1);
    expect(model.namedParameters().map(([n]) => n)).toContain('wte.weight');
    checkEveryParameter(model, ids, targets);
  });

  test('with a padding mask (left and right padding; padded targets ignored)', () => {
    const model = tinyGPT(2);
    const paddingMask = [
      [0, 1, 1, 1],
      [1, 1, 1, 0],
    ];
    const masked = targets.map((row, b) => row.map((t, i) => (paddingMask[b]![i] === 1 ? t : IGNORE_INDEX)));
    checkEveryParameter(model, ids, masked, paddingMask);
  });

  test('untied output layer, two layers, non-default MLP width', () => {
    const config: Partial<GPTConfig> = { tiedEmbeddings: false, layers: 2, mlpWidth: 12 };
    const model = tinyGPT(4, config);
    expect(model.namedParameters().map(([n]) => n)).toContain('lmHead.weight');
    checkEveryParameter(model, ids, targets);
  });

  test('a deliberately wrong gradient is caught (the check can fail)', () => {
    // A term that depends on lnF.weight through a detached view: finite differences see it, backward does not.
    const model = tinyGPT(5);
    const lnF = model.lnF.weight;
    const loss = () => add(languageModelLoss(model.forward(ids), targets), sum(lnF.detach()));
    const report = gradcheckReport(loss, [lnF], { fastMode: true });
    expect(report.ok).toBe(false);
  });
});
