import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCaBundle, loadedCaBundleCount } from '../../../shared/net/ca-bundle';
import { ConfigurationError } from '../../../shared/errors';

const dir = mkdtempSync(join(tmpdir(), 'ca-bundle-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PEM = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n';

function failure(run: () => unknown): ConfigurationError {
  try {
    run();
  } catch (error) {
    return error as ConfigurationError;
  }
  throw new Error('expected a ConfigurationError');
}

describe('loadCaBundle', () => {
  it('returns undefined, reading nothing, when the variable is unset or empty', () => {
    const before = loadedCaBundleCount();
    expect(loadCaBundle('SOME_CA_BUNDLE', {})).toBeUndefined();
    expect(loadCaBundle('SOME_CA_BUNDLE', { SOME_CA_BUNDLE: '' })).toBeUndefined();
    expect(loadedCaBundleCount()).toBe(before);
  });

  it('reads the file on first use only, then serves it from memory', () => {
    const path = join(dir, 'cached.pem');
    writeFileSync(path, PEM);
    const before = loadedCaBundleCount();
    expect(loadCaBundle('SOME_CA_BUNDLE', { SOME_CA_BUNDLE: path })).toBe(PEM);
    rmSync(path);
    // Deleted after the first read: still served, and by another variable naming the same file.
    expect(loadCaBundle('SOME_CA_BUNDLE', { SOME_CA_BUNDLE: path })).toBe(PEM);
    expect(loadCaBundle('OTHER_CA_BUNDLE', { OTHER_CA_BUNDLE: path })).toBe(PEM);
    expect(loadedCaBundleCount()).toBe(before + 1);
  });

  it('a file that cannot be read is a non-retryable ConfigurationError naming the variable and path', () => {
    const missing = join(dir, 'absent.pem');
    const error = failure(() => loadCaBundle('PG_CA_BUNDLE', { PG_CA_BUNDLE: missing }));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(`PG_CA_BUNDLE is ${missing}, which cannot be read (ENOENT)`);
    expect(error.action).toContain('point PG_CA_BUNDLE at it');

    const directory = join(dir, 'a-directory');
    mkdirSync(directory);
    expect(failure(() => loadCaBundle('REDIS_CA_BUNDLE', { REDIS_CA_BUNDLE: directory })).message).toBe(
      `REDIS_CA_BUNDLE is ${directory}, which cannot be read (EISDIR)`,
    );
  });

  it('a file without a PEM certificate is refused without quoting its content', () => {
    const notPem = join(dir, 'not.pem');
    const content = 'password=hunter2-not-a-certificate';
    writeFileSync(notPem, content);
    const error = failure(() => loadCaBundle('REDIS_CA_BUNDLE', { REDIS_CA_BUNDLE: notPem }));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toBe(`REDIS_CA_BUNDLE is ${notPem}, which holds no PEM certificate`);
    expect(`${error.message} ${error.action}`).not.toContain('hunter2');
  });

  it('a refused file is not cached: fixing it takes effect on the next connection', () => {
    const path = join(dir, 'fixed-later.pem');
    writeFileSync(path, 'not yet');
    expect(() => loadCaBundle('SOME_CA_BUNDLE', { SOME_CA_BUNDLE: path })).toThrow(ConfigurationError);
    writeFileSync(path, PEM);
    expect(loadCaBundle('SOME_CA_BUNDLE', { SOME_CA_BUNDLE: path })).toBe(PEM);
  });
});
