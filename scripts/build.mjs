#!/usr/bin/env node
// Builds one self-contained, minified ESM bundle per function: functions/<name>/index.ts ->
// dist/<name>/index.mjs exporting `handler`. The AWS SDK is bundled rather than taken from the
// runtime: a pinned, tree-shaken copy loads faster and behaves the same locally and in Lambda.
import { build } from 'esbuild';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const functionsDir = join(root, 'functions');
const outRoot = join(root, 'dist');

export function functionNames() {
  if (!existsSync(functionsDir)) return [];
  return readdirSync(functionsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(functionsDir, entry.name, 'index.ts')))
    .map((entry) => entry.name)
    .sort();
}

export async function buildAll({ quiet = false } = {}) {
  rmSync(outRoot, { recursive: true, force: true });
  const names = functionNames();
  await Promise.all(
    names.map((name) =>
      build({
        entryPoints: [join(functionsDir, name, 'index.ts')],
        outfile: join(outRoot, name, 'index.mjs'),
        bundle: true,
        minify: true,
        platform: 'node',
        target: 'node24',
        format: 'esm',
        sourcemap: 'linked',
        metafile: true,
        legalComments: 'none',
        logLevel: 'warning',
        // Some bundled CommonJS dependencies call require() for Node built-ins.
        banner: {
          js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
        },
      }),
    ),
  );
  if (!quiet) for (const name of names) console.log(`built dist/${name}/index.mjs`);
  return names;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildAll();
}
