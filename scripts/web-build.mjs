// The teaching page's esbuild options, shared by scripts/build.mjs and test/web/page.test.ts: everything
// bundled (gpu.js's browser build and KaTeX included), minified, as a classic script (iife, not a module) so
// web/index.html also works opened as a file (browsers refuse module scripts from file://). KaTeX's
// stylesheet comes out beside it as main.css with its woff2 fonts inlined (the woff and ttf fallbacks are
// dropped: every browser that runs the page reads woff2), so nothing is fetched. target es2022 matches tsconfig.
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

const woff2Only = {
  name: 'katex-woff2-only',
  setup(build) {
    build.onLoad({ filter: /katex(\.min)?\.css$/ }, async (args) => ({
      contents: (await readFile(args.path, 'utf8')).replace(/,url\(fonts\/[^)]+\.(?:woff|ttf)\) format\("(?:woff|truetype)"\)/g, ''),
      loader: 'css',
      resolveDir: dirname(args.path),
    }));
  },
};

/** esbuild options that bundle web/main.ts to `outfile` (and its stylesheet beside it). */
export function webBuildOptions(entry, outfile) {
  return {
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
    entryPoints: [entry],
    outfile,
    loader: { '.woff2': 'dataurl' },
    plugins: [woff2Only],
  };
}
