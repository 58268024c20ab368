import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../shared/errors';
import { settingsFromEnv } from '../../../functions/postgres/settings';
import { tlsOptions } from '../../../functions/postgres/tls';
import { loadedCaBundleCount } from '../../../shared/net/ca-bundle';

const dir = mkdtempSync(join(tmpdir(), 'pg-tls-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('function settings', () => {
  it('defaults to a 5 s connect timeout and a 15 s statement timeout', () => {
    expect(settingsFromEnv({})).toEqual({ connectTimeoutMs: 5000, statementTimeoutMs: 15000 });
  });

  it('reads PG_CONNECT_TIMEOUT_MS and PG_STATEMENT_TIMEOUT_MS', () => {
    expect(
      settingsFromEnv({
        PG_CONNECT_TIMEOUT_MS: '800',
        PG_STATEMENT_TIMEOUT_MS: '2000',
        PG_CA_BUNDLE: '/opt/ca.pem',
      }),
    ).toEqual({ connectTimeoutMs: 800, statementTimeoutMs: 2000 });
  });

  it('refuses a timeout that is not a sane number of milliseconds, naming the variable', () => {
    expect(() => settingsFromEnv({ PG_CONNECT_TIMEOUT_MS: '5s' })).toThrow(ConfigurationError);
    expect(() => settingsFromEnv({ PG_STATEMENT_TIMEOUT_MS: '0' })).toThrow(/PG_STATEMENT_TIMEOUT_MS/);
  });
});

describe('TLS options', () => {
  it('always verify, and use Node trust store without PG_CA_BUNDLE (nothing read)', () => {
    const before = loadedCaBundleCount();
    expect(tlsOptions({})).toEqual({ rejectUnauthorized: true, minVersion: 'TLSv1.2' });
    expect(loadedCaBundleCount()).toBe(before);
  });

  it('trust only the CAs of PG_CA_BUNDLE when it is set', () => {
    const path = join(dir, 'ca.pem');
    writeFileSync(path, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    expect(tlsOptions({ PG_CA_BUNDLE: path })).toEqual({
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      ca: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
    });
  });

  it('name PG_CA_BUNDLE when the bundle is missing', () => {
    expect(() => tlsOptions({ PG_CA_BUNDLE: join(dir, 'absent.pem') })).toThrow(
      /^PG_CA_BUNDLE is .*absent\.pem, which cannot be read \(ENOENT\)$/,
    );
  });
});
