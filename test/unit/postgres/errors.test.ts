import { describe, expect, it } from 'vitest';
import {
  type Attempt,
  classifyConnectError,
  classifyStatementError,
  DatabaseNotFoundError,
  LoginRefusedError,
  PasswordRejectedError,
  TlsUnavailableError,
} from '../../../functions/postgres/errors';
import type { RotationError } from '../../../shared/errors';
import { PermissionDeniedError, TargetUnreachableError, TlsVerificationError } from '../../../shared/errors';

const attempt: Attempt = {
  endpoint: { host: 'db.internal', port: 5432, database: 'crm', tls: true },
  username: 'crm_app',
  credential: 'AWSPENDING',
  connectTimeoutMs: 5000,
};

const withCode = (code: string, message = 'driver message') => Object.assign(new Error(message), { code });

describe('connection failures', () => {
  it.each([
    ['28P01', PasswordRejectedError],
    ['28000', LoginRefusedError],
    ['3D000', DatabaseNotFoundError],
    ['ECONNREFUSED', TargetUnreachableError],
    ['ENOTFOUND', TargetUnreachableError],
    ['ETIMEDOUT', TargetUnreachableError],
    ['57P03', TargetUnreachableError],
    ['53300', TargetUnreachableError],
    ['42501', PermissionDeniedError],
    ['SELF_SIGNED_CERT_IN_CHAIN', TlsVerificationError],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', TlsVerificationError],
    ['ERR_TLS_CERT_ALTNAME_INVALID', TlsVerificationError],
    ['CERT_HAS_EXPIRED', TlsVerificationError],
    ['ERR_SSL_WRONG_VERSION_NUMBER', TlsVerificationError],
  ])('%s becomes %s', (code, type) => {
    expect(classifyConnectError(withCode(code), attempt)).toBeInstanceOf(type);
  });

  it('names the role, credential and endpoint', () => {
    expect((classifyConnectError(withCode('28P01'), attempt) as Error).message).toBe(
      'password authentication failed for role "crm_app" (AWSPENDING) at db.internal:5432/crm',
    );
  });

  it('a server without TLS, a timeout and a dropped connection are recognised by message', () => {
    expect(
      classifyConnectError(new Error('The server does not support SSL connections'), attempt),
    ).toBeInstanceOf(TlsUnavailableError);
    expect(classifyConnectError(new Error('timeout expired'), attempt)).toBeInstanceOf(
      TargetUnreachableError,
    );
    expect(classifyConnectError(new Error('Connection terminated unexpectedly'), attempt)).toBeInstanceOf(
      TargetUnreachableError,
    );
  });

  it('returns anything else unchanged, so it propagates and Secrets Manager retries', () => {
    const unknown = withCode('XX000', 'internal error');
    expect(classifyConnectError(unknown, attempt)).toBe(unknown);
    expect(classifyConnectError('a string', attempt)).toBe('a string');
  });
});

describe('statement failures', () => {
  it('insufficient privilege is PermissionDeniedError, not retryable', () => {
    const error = classifyStatementError(withCode('42501'), 'the master user "admin"', 'create role "x"');
    expect(error).toBeInstanceOf(PermissionDeniedError);
    expect((error as RotationError).retryable).toBe(false);
  });

  it('timeouts and concurrent changes are retryable', () => {
    for (const code of ['57014', '55P03', '42710', '40001']) {
      expect((classifyStatementError(withCode(code), 'a', 'b') as RotationError).retryable).toBe(true);
    }
  });

  it('anything else propagates unchanged', () => {
    const syntax = withCode('42601');
    expect(classifyStatementError(syntax, 'a', 'b')).toBe(syntax);
  });
});
