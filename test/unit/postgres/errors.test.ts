import { describe, expect, it } from 'vitest';
import {
  type Attempt,
  classifyConnectError,
  classifyPostgresError,
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

const statement = {
  endpoint: attempt.endpoint,
  who: 'the master user "admin"',
  doing: 'set the password of role "x"',
};

describe('statement failures', () => {
  it('insufficient privilege is PermissionDeniedError, not retryable', () => {
    const error = classifyPostgresError(withCode('42501'), statement);
    expect(error).toBeInstanceOf(PermissionDeniedError);
    expect((error as RotationError).retryable).toBe(false);
  });

  it('timeouts and concurrent changes are retryable', () => {
    for (const code of ['57014', '55P03', '42710', '23505', '40001', '40P01']) {
      expect((classifyPostgresError(withCode(code), statement) as RotationError).retryable).toBe(true);
    }
    const raced = new Error('tuple concurrently updated');
    expect((classifyPostgresError(raced, statement) as RotationError).retryable).toBe(true);
  });

  it('anything else propagates unchanged', () => {
    const syntax = withCode('42601');
    expect(classifyPostgresError(syntax, statement)).toBe(syntax);
  });
});

describe('one classification for logins and statements: restarts and lost connections', () => {
  it.each([
    ['57P01', 'terminating connection due to administrator command'],
    ['57P02', 'terminating connection because of crash of another server process'],
    ['57P03', 'the database system is starting up'],
    ['08006', 'connection failure'],
    ['08003', 'connection does not exist'],
    ['ECONNRESET', 'read ECONNRESET'],
  ])(
    '%s (%s) is a retryable TargetUnreachableError naming endpoint and action, in both phases',
    (code, text) => {
      for (const error of [
        classifyPostgresError(withCode(code, text), statement),
        classifyConnectError(withCode(code, text), attempt),
      ]) {
        expect(error).toBeInstanceOf(TargetUnreachableError);
        expect((error as RotationError).retryable).toBe(true);
        expect((error as RotationError).message).toContain('db.internal:5432/crm');
        expect((error as RotationError).action).toBeTruthy();
      }
      expect((classifyPostgresError(withCode(code, text), statement) as Error).message).toContain(
        'while the master user "admin" tried to set the password of role "x"',
      );
    },
  );

  it.each([
    'Client has encountered a connection error and is not queryable',
    'Connection terminated unexpectedly',
  ])('pg saying "%s" is a lost connection too', (text) => {
    const error = classifyPostgresError(new Error(text), statement) as RotationError;
    expect(error).toBeInstanceOf(TargetUnreachableError);
    expect(error.message).toBe(
      'db.internal:5432/crm closed the connection while the master user "admin" tried to set the password of role "x"',
    );
  });

  it('a full or exhausted server (53xxx) is retryable and says what to check', () => {
    for (const code of ['53300', '53100', '53200', '53400']) {
      const error = classifyPostgresError(withCode(code, 'sorry, too many clients already'), statement);
      expect((error as RotationError).retryable).toBe(true);
      expect((error as RotationError).action).toMatch(/max_connections/);
    }
  });

  it('login-only failures stay login-only: a 28P01 during statements is not a password error', () => {
    expect(classifyPostgresError(withCode('28P01'), statement)).not.toBeInstanceOf(PasswordRejectedError);
  });
});
