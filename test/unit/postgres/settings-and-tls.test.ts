import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../shared/rotation/errors';
import { settingsFromEnv } from '../../../functions/postgres/settings';
import { loadedBundleCount, tlsOptions } from '../../../functions/postgres/tls';

const dir = mkdtempSync(join(tmpdir(), 'pg-tls-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('function settings', () => {
  it('defaults to a 5 s connect timeout, 15 s statement timeout and Node trust store', () => {
    expect(settingsFromEnv({})).toEqual({
      connectTimeoutMs: 5000,
      statementTimeoutMs: 15000,
      caBundlePath: undefined,
    });
  });

  it('reads PG_CONNECT_TIMEOUT_MS, PG_STATEMENT_TIMEOUT_MS and PG_CA_BUNDLE', () => {
    expect(
      settingsFromEnv({
        PG_CONNECT_TIMEOUT_MS: '800',
        PG_STATEMENT_TIMEOUT_MS: '2000',
        PG_CA_BUNDLE: '/opt/ca.pem',
      }),
    ).toEqual({ connectTimeoutMs: 800, statementTimeoutMs: 2000, caBundlePath: '/opt/ca.pem' });
  });

  it('refuses a timeout that is not a sane number of milliseconds, naming the variable', () => {
    expect(() => settingsFromEnv({ PG_CONNECT_TIMEOUT_MS: '5s' })).toThrow(ConfigurationError);
    expect(() => settingsFromEnv({ PG_STATEMENT_TIMEOUT_MS: '0' })).toThrow(/PG_STATEMENT_TIMEOUT_MS/);
  });
});

describe('TLS options', () => {
  it('always verify, and use Node trust store without PG_CA_BUNDLE (nothing read)', () => {
    const before = loadedBundleCount();
    expect(tlsOptions(undefined)).toEqual({ rejectUnauthorized: true, minVersion: 'TLSv1.2' });
    expect(loadedBundleCount()).toBe(before);
  });

  it('read the bundle on first use only, then keep it', () => {
    const path = join(dir, 'ca.pem');
    writeFileSync(path, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    const before = loadedBundleCount();
    expect(tlsOptions(path).ca).toContain('BEGIN CERTIFICATE');
    rmSync(path);
    // Deleted after the first read: still served from memory.
    expect(tlsOptions(path).ca).toContain('BEGIN CERTIFICATE');
    expect(loadedBundleCount()).toBe(before + 1);
  });

  it('name the variable when the bundle is missing or not PEM', () => {
    expect(() => tlsOptions(join(dir, 'absent.pem'))).toThrow(
      /PG_CA_BUNDLE .*absent\.pem cannot be read \(ENOENT\)/,
    );
    const notPem = join(dir, 'not.pem');
    writeFileSync(notPem, 'hello');
    expect(() => tlsOptions(notPem)).toThrow(/holds no PEM certificate/);
  });
});
