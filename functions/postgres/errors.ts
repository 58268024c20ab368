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

/** The server asked for the password in clear text; this function never sends one. */
export class CleartextPasswordRefusedError extends RotationError {
  override readonly name: string = 'CleartextPasswordRefusedError';
}

/**
 * The server asked for an MD5 password hash, and the secret whose password it is did not opt in
 * (`"allow_md5_password": true`). An MD5 answer is the password's hash salted with 4 bytes the
 * server picks: whoever asks for it can guess the password offline, and replay-free it is not.
 */
export class Md5PasswordRefusedError extends RotationError {
  override readonly name: string = 'Md5PasswordRefusedError';
}

/** The server asked for an authentication this function does not answer (GSS, SSPI, an unknown SASL). */
export class UnsupportedAuthenticationError extends RotationError {
  override readonly name: string = 'UnsupportedAuthenticationError';
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

/** Where a failure happened and what was going on, for every PostgreSQL failure message. */
export interface Situation {
  endpoint: Endpoint;
  /** `role "app" (AWSPENDING)`, `the master user "admin"`. */
  who: string;
  /** What `who` was doing, as it follows "is not allowed to": `set the password of role "x"`. */
  doing: string;
  /** Set while logging in: how long the login was given (for its timeout message). */
  connectTimeoutMs?: number;
}

/** Network-level failures: while logging in, the endpoint alone says it all. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

const quoted = (name: string) => JSON.stringify(name);

const TRANSIENT_ACTION =
  'Transient: Secrets Manager retries the step. If it keeps failing, check the server (restarts, failover, maintenance) and the network path from the function.';
const NETWORK_ACTION =
  'Check that the server is running and that the network path (VPC, subnets, security groups) lets the function reach it.';

/** Why the server (or the path to it) dropped us: SQLSTATE classes 08 and 57P, and network codes. */
const CONNECTION_LOST: Record<string, string> = {
  '57P01': 'ended the session: the server is shutting down or restarting (SQLSTATE 57P01)',
  '57P02': 'ended the session after another server process crashed (SQLSTATE 57P02)',
  '57P03': 'cannot accept connections now: it is starting up or in recovery (SQLSTATE 57P03)',
  '57P05': 'ended an idle session (SQLSTATE 57P05)',
  ECONNREFUSED: 'refused the connection',
  ECONNRESET: 'reset the connection (ECONNRESET)',
  EPIPE: 'closed the connection (EPIPE)',
  ETIMEDOUT: 'could not be reached (ETIMEDOUT)',
  EHOSTUNREACH: 'could not be reached (EHOSTUNREACH)',
  ENETUNREACH: 'could not be reached (ENETUNREACH)',
};

/** What pg itself says (no code) when the socket went away under it. */
const DRIVER_CONNECTION_LOST = [
  /^Connection terminated/,
  /has encountered a connection error and is not queryable/,
  /was closed and is not queryable/,
];

/**
 * Whether a role change lost a race with a concurrent one: CREATE ROLE of a role another session
 * created meanwhile (23505 on pg_authid while both ran, 42710 once the other committed), or two
 * ALTER ROLEs of the same role ("tuple concurrently updated").
 */
export function lostRoleRace(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code === '23505' || code === '42710') return true;
  return typeof message === 'string' && /tuple concurrently (updated|deleted)/.test(message);
}

/**
 * One classification of every PostgreSQL failure, while connecting and while running statements:
 * a typed error naming the endpoint, who and what, retryable where the cause is transient (a
 * restart, a dropped connection, a full server, a concurrent change). Anything not recognised is
 * returned unchanged, so it propagates and Secrets Manager retries the step.
 */
export function classifyPostgresError(error: unknown, situation: Situation): unknown {
  if (!(error instanceof Error) || error instanceof RotationError) return error;
  const where = describeEndpoint(situation.endpoint);
  const { who, doing } = situation;
  const code = (error as { code?: unknown }).code;
  const sqlstate = typeof code === 'string' ? code : '';
  const loggingIn = situation.connectTimeoutMs !== undefined;
  const during = loggingIn
    ? NETWORK_CODES.has(sqlstate)
      ? ''
      : ` during the login of ${who}`
    : ` while ${who} tried to ${doing}`;

  const lost =
    CONNECTION_LOST[sqlstate] ??
    (sqlstate.startsWith('08') ? `lost the connection (SQLSTATE ${sqlstate})` : undefined) ??
    (DRIVER_CONNECTION_LOST.some((pattern) => pattern.test(error.message))
      ? 'closed the connection'
      : undefined);
  if (lost) {
    const action =
      sqlstate.startsWith('57P') || !(sqlstate in CONNECTION_LOST) ? TRANSIENT_ACTION : NETWORK_ACTION;
    return new TargetUnreachableError(`${where} ${lost}${during}`, { action });
  }
  if (sqlstate === 'ENOTFOUND' || sqlstate === 'EAI_AGAIN') {
    return new TargetUnreachableError(`host name ${situation.endpoint.host} could not be resolved${during}`, {
      action: 'Check `host` in the secret and the function VPC DNS settings.',
    });
  }
  if (sqlstate.startsWith('53')) {
    // Too many connections, out of memory or disk: the server cannot serve us for now.
    return new TargetUnreachableError(
      `${where} is out of resources (SQLSTATE ${sqlstate}: ${firstLine(error.message)})${during}`,
      { action: "Check the server's connections (max_connections), memory and disk; the step is retried." },
    );
  }
  if (sqlstate === '57014' || sqlstate === '55P03' || error.message === 'Query read timeout') {
    return new TargetUnreachableError(
      `${doing} did not finish in time at ${where} (${sqlstate ? `SQLSTATE ${sqlstate}` : 'no answer'}): a lock or a slow server`,
      {
        action:
          'Retry; if it persists, look for long transactions holding locks on pg_authid, or raise PG_STATEMENT_TIMEOUT_MS.',
      },
    );
  }
  if (sqlstate === '40001' || sqlstate === '40P01' || lostRoleRace(error)) {
    return new RotationError(
      `${doing} at ${where} collided with a concurrent change (SQLSTATE ${sqlstate || 'XX000'}); the retry will converge`,
      { retryable: true },
    );
  }
  if (sqlstate === '42501') {
    if (loggingIn) {
      return new PermissionDeniedError(`${who} may not connect to ${where} (SQLSTATE 42501)`, {
        action: 'Grant the role CONNECT on the database.',
      });
    }
    return new PermissionDeniedError(`${who} is not allowed to ${doing}`, {
      action:
        'Give the admin role CREATEROLE (PostgreSQL 16+: also ADMIN OPTION on the application role); RDS master users have both.',
    });
  }
  return loggingIn ? classifyLogin(error, situation, where) : error;
}

/** What only a login can fail with: the password, pg_hba, the database, TLS, the login timeout. */
function classifyLogin(error: Error, situation: Situation, where: string): unknown {
  const { who } = situation;
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
        `database ${quoted(situation.endpoint.database)} does not exist at ${situation.endpoint.host}:${situation.endpoint.port}`,
        { action: 'Fix `dbname` in the secret (it defaults to "postgres").' },
      );
  }
  if (isCertificateError(code)) {
    return new TlsVerificationError(
      `the TLS certificate of ${where} could not be verified (${String(code)})`,
      {
        action:
          'Point PG_CA_BUNDLE at the CA that signed the server certificate (for RDS, the global bundle), and check that `host` matches the certificate. Never set ssl:false to get around this.',
      },
    );
  }
  if (typeof code === 'string' && code.startsWith('ERR_SSL_')) {
    return new TlsVerificationError(`the TLS handshake with ${where} failed (${code})`);
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
      `${where} did not complete the login of ${who} within ${situation.connectTimeoutMs} ms`,
      { action: 'Check the network path and the server load, or raise PG_CONNECT_TIMEOUT_MS.' },
    );
  }
  return error;
}

/** A login failure: `classifyPostgresError` for the connecting phase of `attempt`. */
export function classifyConnectError(error: unknown, attempt: Attempt): unknown {
  return classifyPostgresError(error, {
    endpoint: attempt.endpoint,
    who: `role ${quoted(attempt.username)} (${attempt.credential})`,
    doing: 'log in',
    connectTimeoutMs: attempt.connectTimeoutMs,
  });
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').slice(0, 200);
}
