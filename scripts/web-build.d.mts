import type { BuildOptions } from 'esbuild';
/** esbuild options that bundle web/main.ts to `outfile` (and its stylesheet beside it). */
export function webBuildOptions(entry: string, outfile: string): BuildOptions;
