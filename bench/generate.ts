/** The generation section: greedy decoding tokens/s of the reference models, with and without the KV cache. */
import { Generator } from '../src/autograd/index.js';
import { generate } from '../src/nn/sample.js';
import type { ConfigName, OurBackend } from './args.js';
import { onBackend } from './backends.js';
import { timeSync } from './measure.js';
import { buildModel } from './model.js';
import type { GenerationRow } from './report.js';

/**
 * Greedy generation from one-token prompts to the full context (context - 1 new tokens), the model untrained
 * (timing does not depend on the weights' values): batch 1 with and without the KV cache, and the config's
 * training batch with the cache (without it, tens of seconds per call on small-gpt, and no new information).
 */
export function ourGenerationRows(backend: OurBackend, config: ConfigName, quick: boolean): GenerationRow[] {
  return onBackend(backend, (): GenerationRow[] => {
    const { model, ref } = buildModel(config);
    const newTokens = ref.model.contextLength - 1;
    const gen = new Generator(7);
    const rows: GenerationRow[] = [];
    for (const batch of quick ? [1] : [1, ref.batchSize]) {
      const prompts = Array.from({ length: batch }, () => [gen.int(ref.model.vocabSize)]);
      for (const kvCache of batch === 1 ? [true, false] : [true]) {
        // Decoding without the cache recomputes every prefix (seconds per call on small-gpt): fewer repeats.
        const budget = quick
          ? { iterations: 1, timeMs: 0, warmupIterations: 0, warmupTimeMs: 0 }
          : { iterations: kvCache ? 5 : 2, timeMs: 0, warmupIterations: 1, warmupTimeMs: 0 };
        const t = timeSync(
          `generate ${backend} ${config} b${batch} cache=${kvCache}`,
          () => {
            const out = generate(model, prompts, { maxNewTokens: newTokens, greedy: true, useCache: kvCache });
            if (out.tokens[0]!.length !== newTokens)
              throw new Error(`generate: expected ${newTokens} tokens, got ${out.tokens[0]!.length}`);
          },
          budget,
        );
        rows.push({
          engine: 'selm-ts',
          backend,
          config,
          kvCache,
          batch,
          promptLength: 1,
          newTokens,
          medianMs: t.medianMs,
          tokensPerSec: (batch * newTokens) / (t.medianMs / 1000),
          samples: t.samples,
        });
      }
    }
    return rows;
  });
}
