import { AxiosError } from 'axios';
import { describe, expect, it } from 'vitest';
import { classifyConnectError } from '../../../functions/postgres/errors';
import { redisFailure } from '../../../functions/redis/errors';
import { describeTransportError } from '../../../shared/net/http';
import { CERTIFICATE_ERROR_CODES, isCertificateError } from '../../../shared/net/tls-errors';
import { TargetUnreachableError, TlsVerificationError } from '../../../shared/errors';

const withCode = (code: string) => Object.assign(new Error(`driver failure ${code}`), { code });

/** The three places a certificate failure surfaces, each given an error carrying `code`. */
const classifiers: Record<string, (code: string) => unknown> = {
  'HTTP (shared/net/http)': (code) =>
    describeTransportError(new AxiosError('request failed', code), {
      url: new URL('https://accounts.zoho.eu/oauth/v2/token'),
      purpose: 'Zoho token endpoint',
    }),
  PostgreSQL: (code) =>
    classifyConnectError(withCode(code), {
      endpoint: { host: 'db.internal', port: 5432, database: 'crm', tls: true },
      username: 'crm_app',
      credential: 'AWSPENDING',
      connectTimeoutMs: 5000,
    }),
  Redis: (code) =>
    redisFailure(withCode(code), {
      node: { host: 'cache.internal', port: 6379, address: 'cache.internal:6379', source: 'host' },
      doing: 'authenticating',
      who: 'user app',
      timeoutMs: 5000,
      tls: true,
    }),
};

describe('isCertificateError', () => {
  it.each([
    'CERT_REVOKED',
    'CERT_UNTRUSTED',
    'CERT_SIGNATURE_FAILURE',
    'UNABLE_TO_GET_ISSUER_CERT',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    'HOSTNAME_MISMATCH',
    'ERR_TLS_CERT_ALTNAME_INVALID',
    'CERT_HAS_EXPIRED',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
  ])('recognises %s', (code) => {
    expect(isCertificateError(code)).toBe(true);
  });

  it.each([
    'ECONNREFUSED',
    'ETIMEDOUT',
    'ECONNRESET',
    'ERR_SSL_WRONG_VERSION_NUMBER',
    'OUT_OF_MEM',
    'cert_revoked',
    '',
    undefined,
    42,
    null,
  ])('does not take %s for a certificate failure', (code) => {
    expect(isCertificateError(code)).toBe(false);
  });
});

describe.each(Object.entries(classifiers))(
  '%s classifies certificate failures alike',
  (_target, classify) => {
    it.each([...CERTIFICATE_ERROR_CODES])(
      '%s is a non-retryable TlsVerificationError naming the code',
      (code) => {
        const error = classify(code);
        expect(error).toBeInstanceOf(TlsVerificationError);
        expect((error as TlsVerificationError).retryable).toBe(false);
        expect((error as Error).message).toContain(code);
      },
    );

    it('a refused connection is still a retryable TargetUnreachableError', () => {
      const error = classify('ECONNREFUSED');
      expect(error).toBeInstanceOf(TargetUnreachableError);
      expect((error as TargetUnreachableError).retryable).toBe(true);
    });
  },
);
