/** The package's version, from package.json (inlined into dist/cli.js by esbuild; read by Node/vitest from source). */
import pkg from '../../package.json' with { type: 'json' };

export const VERSION: string = pkg.version;
