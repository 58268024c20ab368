#!/usr/bin/env node
// The one build of the suite. `npm run build` writes dist/<name>/, the tests and the bench run
// that, and `sam build` writes the same bytes into each function's ARTIFACTS_DIR (Makefile ->
// scripts/sam-build.mjs -> buildFunction below). Every esbuild setting lives in buildOptions().
//
// Each function is its own build: functions/<name>/index.ts -> <outdir>/index.mjs exporting
// `handler`, plus <outdir>/chunks/*.mjs for what it loads later. A function's folder holds all it
// needs; nothing is shared between functions. The AWS SDK is bundled rather than taken from the
// runtime: a pinned, tree-shaken copy loads faster and behaves the same locally and in Lambda.
import { build } from 'esbuild';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const functionsDir = join(root, 'functions');
export const distDir = join(root, 'dist');

export function functionNames() {
  if (!existsSync(functionsDir)) return [];
  return readdirSync(functionsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(functionsDir, entry.name, 'index.ts')))
    .map((entry) => entry.name)
    .sort();
}

/** esbuild's options for one entry point written to `outdir`. */
export function buildOptions(entryPoint, outdir) {
  return {
    entryPoints: [entryPoint],
    outdir,
    // esbuild names chunks by a hash that covers input paths relative to the working directory:
    // fixed here, the bytes do not depend on where the build is started (make runs elsewhere).
    absWorkingDir: root,
    entryNames: 'index',
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    // Code reached only through import() goes to chunks loaded when first used (the SDK's
    // credential providers other than the environment's, event streams, and what the suite
    // itself imports lazily), so a cold start compiles only what it runs.
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    // For platform 'node' esbuild prefers `main`; the @aws-sdk/client-* packages have no exports
    // map, so that would pick their CommonJS builds, which cannot be tree-shaken.
    mainFields: ['module', 'main'],
    minify: true,
    legalComments: 'none',
    // No source maps: Node only reads them with --enable-source-maps, which costs about a fifth
    // more cold start, and the .map files would triple the package. Errors name themselves.
    sourcemap: false,
    metafile: true,
    logLevel: 'warning',
    // Bundled CommonJS dependencies (pg, ioredis) call require() for Node built-ins.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
  };
}

/**
 * Build one entry point into `outdir`, replacing whatever was there; `overrides` only for the
 * bench's comparisons. Resolves with esbuild's result.
 */
export async function buildEntry(entryPoint, outdir, overrides = {}) {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  return build({ ...buildOptions(entryPoint, outdir), ...overrides });
}

/** Build functions/<name> into `outdir`: what npm run build and sam build both call. */
export async function buildFunction(name, outdir) {
  const entryPoint = join(functionsDir, name, 'index.ts');
  if (!existsSync(entryPoint)) throw new Error(`no function ${name}: ${entryPoint} does not exist`);
  return buildEntry(entryPoint, outdir);
}

export async function buildAll({ quiet = false } = {}) {
  rmSync(distDir, { recursive: true, force: true });
  const names = functionNames();
  await Promise.all(names.map((name) => buildFunction(name, join(distDir, name))));
  if (!quiet) for (const name of names) console.log(`built dist/${name}/`);
  return names;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildAll();
}
