/**
 * The layer map of README and ARCHITECTURE.md, enforced: imports point down only,
 *   autograd <- nn <- selm <- lab <- cli / web,
 * and the browser-safe layers (everything but src/cli and each layer's node/ folder) import no Node module. A rule that is
 * only written down drifts; this test reads every source file's imports.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const LAYERS = ['autograd', 'nn', 'selm', 'lab', 'cli'] as const;
type Layer = (typeof LAYERS)[number];

/** Import specifiers of a TypeScript source: static, re-export, side-effect and dynamic imports. */
function importsOf(source: string): string[] {
  const specs: string[] = [];
  const pattern =
    /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
  for (const m of source.matchAll(pattern)) specs.push((m[1] ?? m[2] ?? m[3])!);
  return specs;
}

/** The layer a repository path belongs to ('src/nn/gpt.ts' -> 'nn'), or null outside src/. */
function layerOf(path: string): Layer | null {
  const parts = path.split('/');
  if (parts[0] !== 'src') return null;
  return (LAYERS as readonly string[]).includes(parts[1]!) ? (parts[1] as Layer) : null;
}

const NODE_BUILTINS = new Set([
  'fs',
  'path',
  'os',
  'url',
  'util',
  'worker_threads',
  'child_process',
  'crypto',
  'module',
  'stream',
  'events',
  'zlib',
  'process',
]);
const isNodeModule = (spec: string): boolean => spec.startsWith('node:') || NODE_BUILTINS.has(spec.split('/')[0]!);

/** May code in `path` use Node's own modules? Only the CLI and a layer's node/ folder (file I/O) may. */
function mayUseNode(path: string): boolean {
  return path.startsWith('src/cli/') || /^src\/[a-z]+\/node\//.test(path);
}

/** Every rule broken by `files` (repository path -> source), as 'file: imports X (why)'. */
function layerViolations(files: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  for (const [path, source] of files) {
    const from = layerOf(path);
    const inWeb = path.startsWith('web/');
    for (const spec of importsOf(source)) {
      if (isNodeModule(spec)) {
        if (!mayUseNode(path)) problems.push(`${path}: imports ${spec} (only src/cli and a layer's node/ folder may use Node modules)`);
        continue;
      }
      if (!spec.startsWith('.')) continue;
      const target = normalize(join(dirname(path), spec))
        .split('\\')
        .join('/');
      const to = layerOf(target);
      if (to === null) continue;
      if (inWeb) {
        if (to === 'cli') problems.push(`${path}: imports ${spec} (the page sits beside the CLI, not above it)`);
        else if (target.startsWith('src/lab/node/')) problems.push(`${path}: imports ${spec} (Node-only lab code)`);
        continue;
      }
      if (from === null) continue;
      if (LAYERS.indexOf(to) > LAYERS.indexOf(from))
        problems.push(`${path}: imports ${spec} (${from} may not import ${to}: layers import downward only)`);
    }
  }
  return problems;
}

function sourceFiles(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|mts|mjs|js)$/.test(name)) out.set(relative(ROOT, p).split('\\').join('/'), readFileSync(p, 'utf8'));
    }
  };
  walk(join(ROOT, dir));
  return out;
}

describe('layers', () => {
  const files = new Map([...sourceFiles('src'), ...[...sourceFiles('web')].filter(([p]) => !p.startsWith('web/dist/'))]);

  it('reads the imports of every kind of import statement', () => {
    const source =
      "import { a } from './a.js';\nimport type { B } from '../b.js';\nexport * from './c.js';\nimport './d.js';\nconst e = await import('./e.js');\nimport {\n  f,\n} from 'node:fs';";
    expect(importsOf(source)).toEqual(
      ['./a.js', '../b.js', './c.js', './d.js', 'node:fs', './e.js'].sort((x, y) => source.indexOf(x) - source.indexOf(y)),
    );
  });

  it('the source tree imports downward only, and only the CLI and node/ folders use Node modules', () => {
    expect(files.size).toBeGreaterThan(50);
    expect(layerViolations(files)).toEqual([]);
  });

  it('a deliberately wrong import is caught, for each rule', () => {
    const wrong = new Map([
      ['src/autograd/tensor.ts', "import { GPT } from '../nn/gpt.js';"],
      ['src/nn/gpt.ts', "import { selmLoss } from '../selm/losses.js';"],
      ['src/selm/losses.ts', "import { runExperiment } from '../lab/runner.js';"],
      ['src/selm/algorithm.ts', "import { readFileSync } from 'node:fs';"],
      ['src/lab/runner.ts', "import { main } from '../cli/main.js';"],
      ['src/lab/report.ts', "import { join } from 'path';"],
      ['web/main.ts', "import { FolderStorage } from '../src/lab/node/folder-storage.js';"],
    ]);
    const problems = layerViolations(wrong);
    expect(problems).toHaveLength(wrong.size);
    for (const path of wrong.keys())
      expect(
        problems.some((p) => p.startsWith(`${path}:`)),
        path,
      ).toBe(true);
    // And the allowed directions pass.
    const right = new Map([
      ['src/lab/runner.ts', "import { runAlgorithm } from '../selm/algorithm.js';\nimport { Tensor } from '../autograd/index.js';"],
      ['src/lab/node/folder-storage.ts', "import { writeFileSync } from 'node:fs';"],
      ['src/cli/main.ts', "import { realpathSync } from 'node:fs';\nimport { runExperiment } from '../lab/runner.js';"],
    ]);
    expect(layerViolations(right)).toEqual([]);
  });
});
