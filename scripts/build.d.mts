import type { BuildOptions, BuildResult } from 'esbuild';

export const distDir: string;
export function functionNames(): string[];
export function buildOptions(entryPoint: string, outdir: string): BuildOptions;
export function buildEntry(
  entryPoint: string,
  outdir: string,
  overrides?: BuildOptions,
): Promise<BuildResult<{ metafile: true }>>;
export function buildFunction(name: string, outdir: string): Promise<BuildResult<{ metafile: true }>>;
export function buildAll(options?: { quiet?: boolean }): Promise<string[]>;
