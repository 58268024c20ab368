import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `npm run invoke` after an edit runs the edited code: it rebuilds when a source is newer than the
 * bundles. Proven in a copy of the repository (its own dist/), so the rebuild cannot disturb the
 * bundles the other test files are running.
 */
const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');
let copy: string;

function invoke(...args: string[]) {
  const run = spawnSync(process.execPath, [tsxCli, 'scripts/invoke.ts', ...args], {
    cwd: copy,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

beforeAll(() => {
  copy = mkdtempSync(join(tmpdir(), 'invoke-rebuild-'));
  for (const entry of [
    'functions',
    'shared',
    'scripts',
    'dev',
    'ops',
    'events',
    'dist',
    'package.json',
    'package-lock.json',
    'tsconfig.json',
  ]) {
    cpSync(entry, join(copy, entry), { recursive: true, preserveTimestamps: true });
  }
  symlinkSync(join(process.cwd(), 'node_modules'), join(copy, 'node_modules'));
});

afterAll(() => rmSync(copy, { recursive: true, force: true }));

describe('npm run invoke', () => {
  it('runs the fresh bundle as it is, and rebuilds it after a source changed', () => {
    const event = 'events/rotation-monitor/scheduled.json'; // not a rotation event: fails before any AWS call
    const before = invoke('postgres', event, '--quiet');
    expect(before.code).toBe(1);
    expect(JSON.parse(before.stdout).errorMessage).toMatch(/^invalid rotation event:/);
    expect(before.stderr).not.toContain('rebuilt');

    const source = join(copy, 'shared/rotation/event.ts');
    writeFileSync(
      source,
      readFileSync(source, 'utf8').replaceAll('invalid rotation event:', 'edited rotation event:'),
    );

    const after = invoke('postgres', event);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('rebuilt dist/: the sources are newer than the bundles');
    expect(JSON.parse(after.stdout).errorMessage).toMatch(/^edited rotation event:/);
  });
});
