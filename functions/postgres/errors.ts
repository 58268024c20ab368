import {
  CredentialRejectedError,
  PermissionDeniedError,
  RotationError,
  TargetError,
  TargetUnreachableError,
  TlsVerificationError,
} from '../../shared/errors';
import { isCertificateError } from '../../shared/net/tls-errors';
import { describeEndpoint, type Endpoint } from './secret';

/*
 * PostgreSQL's failures, named: the error classes, then the classification of what the driver
 * throws (connection failures, refused statements) into them. Anything not recognised is returned
 * unchanged, so it propagates and Secrets Manager retries the step.
 */

/** 28P01: the server checked the password and said no (or, with scram, the role does not exist). */
export class PasswordRejectedError extends CredentialRejectedError {
  override readonly name: string = 'PasswordRejectedError';
}

/** 28000: pg_hba.conf rejects the login, the role may not log in (NOLOGIN), or it does not exist. */
export class LoginRefusedError extends CredentialRejectedError {
  override readonly name: string = 'LoginRefusedError';
}

/** 3D000: the database named by `dbname` does not exist on that server. */
export class DatabaseNotFoundError extends TargetError {
  override readonly name: string = 'DatabaseNotFoundError';
}

/** The secret asks for TLS and the server offers none. We never fall back to plaintext. */
export class TlsUnavailableError extends TlsVerificationError {
  override readonly name: string = 'TlsUnavailableError';
}

/** The server asked for the password in clear text; this function only answers SCRAM or MD5. */
export class CleartextPasswordRefusedError extends RotationError {
  override readonly name: string = 'CleartextPasswordRefusedError';
}

/** A role the rotation needs does not exist, or is one this function refuses to touch. */
export class RoleStateError extends TargetError {
  override readonly name: string = 'RoleStateError';
}

/** The pending value does not belong with the current one (another user or host). */
export class PendingMismatchError extends RotationError {
  override readonly name: string = 'PendingMismatchError';
}

/** Who was trying to do what, for messages: `role "app" (AWSCURRENT) at db.example:5432/app`. */
export interface Attempt {
  endpoint: Endpoint;
  username: string;
  /** Which credential: "AWSPENDING", "AWSCURRENT", "the master secret"... */
  credential: string;
  connectTimeoutMs: number;
}

/** SQLSTATEs that mean "try again shortly": the server is starting, shutting down, or full. */
const TRANSIENT_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '53400', '08000', '08003', '08006']);

function quoted(name: string): string {
  return JSON.stringify(name);
}

/**
 * Turn a connection failure into a typed error an operator can act on. Anything not recognised is
 * returned unchanged, so it propagates and Secrets Manager retries the step.
 */
export function classifyConnectError(error: unknown, attempt: Attempt): unknown {
  if (!(error instanceof Error)) return error;
  const where = describeEndpoint(attempt.endpoint);
  const who = `role ${quoted(attempt.username)} (${attempt.credential})`;
  const code = (error as { code?: unknown }).code;

  switch (code) {
    case '28P01':
      return new PasswordRejectedError(`password authentication failed for ${who} at ${where}`, {
        action:
          'The database does not accept this password: check that the secret and the database agree, or reset the password to the AWSCURRENT value and rotate again.',
      });
    case '28000':
      return new LoginRefusedError(
        `the server refused the login of ${who} at ${where}: no pg_hba.conf entry allows it, the role may not log in, or it does not exist`,
        { action: 'Check pg_hba.conf (host, user, SSL rules) and that the role exists with LOGIN.' },
      );
    case '3D000':
      return new DatabaseNotFoundError(
        `database ${quoted(attempt.endpoint.database)} does not exist at ${attempt.endpoint.host}:${attempt.endpoint.port}`,
        {
          action: 'Fix `dbname` in the secret (it defaults to "postgres").',
        },
      );
    case 'ECONNREFUSED':
      return new TargetUnreachableError(`${where} refused the connection`, {
        action:
          'Check that the server is running, the port is right, and the security group lets the function in.',
      });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new TargetUnreachableError(`host name ${attempt.endpoint.host} could not be resolved`, {
        action: 'Check `host` in the secret and the function VPC DNS settings.',
      });
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ECONNRESET':
    case 'EPIPE':
      return new TargetUnreachableError(`${where} could not be reached (${code})`, {
        action: 'Check the network path from the function (VPC, subnets, security groups) to the database.',
      });
  }
  if (isCertificateError(code)) {
    return new TlsVerificationError(`the TLS certificate of ${where} could not be verified (${code})`, {
      action:
        'Point PG_CA_BUNDLE at the CA that signed the server certificate (for RDS, the global bundle), and check that `host` matches the certificate. Never set ssl:false to get around this.',
    });
  }
  if (typeof code === 'string' && code.startsWith('ERR_SSL_')) {
    return new TlsVerificationError(`the TLS handshake with ${where} failed (${code})`);
  }
  if (typeof code === 'string' && TRANSIENT_SQLSTATES.has(code)) {
    return new TargetUnreachableError(`${where} cannot accept connections right now (SQLSTATE ${code})`);
  }
  if (code === '42501') {
    return new PermissionDeniedError(`${who} may not connect to ${where} (SQLSTATE 42501)`, {
      action: 'Grant the role CONNECT on the database.',
    });
  }
  if (error.message === 'The server does not support SSL connections') {
    return new TlsUnavailableError(
      `${where} does not offer TLS, and the secret requires it (ssl absent or true)`,
      {
        action:
          'Enable TLS on the server. Only if plaintext on this network is acceptable, set "ssl": false in the secret.',
      },
    );
  }
  if (error.message === 'There was an error establishing an SSL connection') {
    return new TlsVerificationError(`the TLS handshake with ${where} failed`);
  }
  if (/timeout expired|connection timeout/i.test(error.message)) {
    return new TargetUnreachableError(
      `${where} did not complete the login of ${who} within ${attempt.connectTimeoutMs} ms`,
      { action: 'Check the network path and the server load, or raise PG_CONNECT_TIMEOUT_MS.' },
    );
  }
  if (/^Connection terminated/.test(error.message)) {
    return new TargetUnreachableError(`${where} closed the connection during the login of ${who}`);
  }
  return error;
}

/**
 * Name the failures of the statements rotation runs (ALTER/CREATE ROLE, GRANT) that an operator can
 * act on; anything else propagates for Secrets Manager to retry.
 */
export function classifyStatementError(error: unknown, actor: string, what: string): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case '42501':
      return new PermissionDeniedError(`${actor} is not allowed to ${what}`, {
        action:
          'Give the admin role CREATEROLE (PostgreSQL 16+: also ADMIN OPTION on the application role); RDS master users have both.',
      });
    case '57014':
    case '55P03':
      return new TargetUnreachableError(
        `${what} did not finish in time (SQLSTATE ${code}): a lock or a slow server`,
        {
          action:
            'Retry; if it persists, look for long transactions holding locks on pg_authid, or raise PG_STATEMENT_TIMEOUT_MS.',
        },
      );
    case '42710':
    case '40001':
    case '40P01':
      return new RotationError(
        `${what} collided with a concurrent change (SQLSTATE ${code}); the retry will converge`,
        {
          retryable: true,
        },
      );
  }
  return error;
}
