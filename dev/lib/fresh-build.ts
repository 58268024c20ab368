import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAll, functionNames } from '../../scripts/build.mjs';
import { bundlePath } from '../aws/local-lambda';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** What a bundle is made of: the sources, the build itself, and the locked dependencies. */
const INPUTS = ['functions', 'shared', 'scripts/build.mjs', 'package-lock.json', 'tsconfig.json'];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path, { withFileTypes: true }).reduce(
    (newest, entry) => Math.max(newest, newestMtime(join(path, entry.name))),
    stat.mtimeMs,
  );
}

/** Whether every function's bundle exists and is newer than everything it is built from. */
export function bundlesAreFresh(names: readonly string[] = functionNames()): boolean {
  const sources = Math.max(...INPUTS.map((input) => newestMtime(join(root, input))));
  return names.every((name) => existsSync(bundlePath(name)) && statSync(bundlePath(name)).mtimeMs >= sources);
}

/**
 * Build the bundles unless they are fresh, so `npm run invoke` (and the demo, emergency --local)
 * never runs an old bundle after an edit, and a run that changed nothing costs no build. Several
 * processes starting at once with stale bundles would each rebuild dist/: run one build first.
 */
export async function ensureFreshBundles(): Promise<{ functions: string[]; rebuilt: boolean }> {
  const names = functionNames();
  if (bundlesAreFresh(names)) return { functions: names, rebuilt: false };
  return { functions: await buildAll({ quiet: true }), rebuilt: true };
}
