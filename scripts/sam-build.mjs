#!/usr/bin/env node
// `node scripts/sam-build.mjs <function> <artifacts dir>`: what the Makefile's build-<LogicalId>
// targets run for `sam build`. It builds from this repository (the folder above this script), not
// from the scratch copy SAM makes of CodeUri, so the copy's content never matters; it writes only
// to the artifacts dir. Node built-ins only until the dependencies are known to be installed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const root = fileURLToPath(new URL('..', import.meta.url));
/** npm ci removes node_modules, so the lock lives beside it; .tmp is git-ignored. */
const lockDir = join(root, '.tmp', 'sam-build-npm-ci.lock');
/** A lock older than this was left by a build that died; npm ci takes well under it. */
const STALE_LOCK_MS = 15 * 60_000;

/**
 * Installed means node_modules matches package-lock.json: npm writes node_modules/.package-lock.json
 * on every install, so one older than the lockfile (a pull changed the lockfile) or missing (a
 * fresh clone) needs `npm ci`.
 */
export function dependenciesInstalled(dir = root) {
  const installed = join(dir, 'node_modules', '.package-lock.json');
  if (!existsSync(installed)) return false;
  return statSync(installed).mtimeMs >= statSync(join(dir, 'package-lock.json')).mtimeMs;
}

function tryLock() {
  mkdirSync(join(lockDir, '..'), { recursive: true });
  try {
    mkdirSync(lockDir);
    return true;
  } catch (error) {
    if (error.code !== 'EEXIST') throw error;
    if (Date.now() - statSync(lockDir, { throwIfNoEntry: false })?.mtimeMs > STALE_LOCK_MS) {
      rmSync(lockDir, { recursive: true, force: true });
    }
    return false;
  }
}

/**
 * `npm ci` once for the repository, however many functions `sam build --parallel` builds at the
 * same time: the first takes the lock and installs, the others wait for it and find it done.
 */
async function ensureDependencies() {
  while (!dependenciesInstalled()) {
    if (!tryLock()) {
      await sleep(500);
      continue;
    }
    try {
      if (dependenciesInstalled()) return;
      process.stdout.write(`sam-build: installing dependencies in ${root} (npm ci)\n`);
      const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
      const result = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], {
        cwd: root,
        stdio: ['ignore', 'inherit', 'inherit'],
        shell: process.platform === 'win32',
      });
      if (result.status !== 0) throw new Error(`npm ci failed in ${root} (exit ${result.status})`);
    } finally {
      rmSync(lockDir, { recursive: true, force: true });
    }
  }
}

async function main([name, artifactsDir]) {
  if (!name || !artifactsDir) {
    throw new Error('usage: node scripts/sam-build.mjs <function folder> <artifacts dir>');
  }
  await ensureDependencies();
  const { buildFunction } = await import('./build.mjs');
  await buildFunction(name, resolve(artifactsDir));
  process.stdout.write(`sam-build: built functions/${name} into ${artifactsDir}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    await main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`sam-build: ${error.message}\n`);
    process.exitCode = 1;
  }
}
