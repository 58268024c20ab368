import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dependenciesInstalled } from '../../../scripts/sam-build.mjs';

/** When `sam build` runs `npm ci` first: a fresh clone, or a lockfile newer than the install. */
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'deps-'));
  writeFileSync(join(dir, 'package-lock.json'), '{}');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function install(secondsAfterLockfile: number) {
  mkdirSync(join(dir, 'node_modules'));
  const hidden = join(dir, 'node_modules', '.package-lock.json');
  writeFileSync(hidden, '{}');
  const lockfileTime = new Date('2026-01-01T00:00:00Z');
  utimesSync(join(dir, 'package-lock.json'), lockfileTime, lockfileTime);
  const installTime = new Date(lockfileTime.getTime() + secondsAfterLockfile * 1000);
  utimesSync(hidden, installTime, installTime);
}

describe('dependenciesInstalled', () => {
  it('is false on a fresh clone (no node_modules)', () => {
    expect(dependenciesInstalled(dir)).toBe(false);
  });

  it('is false when node_modules exists but npm never finished an install there', () => {
    mkdirSync(join(dir, 'node_modules'));
    expect(dependenciesInstalled(dir)).toBe(false);
  });

  it('is true after an install from the current lockfile', () => {
    install(5);
    expect(dependenciesInstalled(dir)).toBe(true);
  });

  it('is false when the lockfile changed after the install (a pull brought new versions)', () => {
    install(-5);
    expect(dependenciesInstalled(dir)).toBe(false);
  });
});
