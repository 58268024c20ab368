import pg from 'pg';
import { rememberSecret } from '../../shared/observability/redaction';
import { CredentialRejectedError } from '../../shared/errors';
import { type Attempt, classifyConnectError } from './errors';
import { CleartextPasswordRefusedError } from './errors';
import type { Endpoint } from './secret';
import { settingsFromEnv } from './settings';
import { tlsOptions } from './tls';

export interface Login {
  username: string;
  password: string;
  /** Which credential this is, for messages: "AWSPENDING", "the master secret"... */
  credential: string;
}

/**
 * pg answers every password challenge it gets, including a request for the password in clear text
 * (pg_hba `password`, `ldap`, `pam`). This client refuses that one: the only forms a password leaves
 * the function in are a SCRAM proof (or an MD5 challenge response, for roles whose stored password
 * predates SCRAM) and, when we set one, a SCRAM verifier.
 */
class NoCleartextClient extends pg.Client {
  _handleAuthCleartextPassword(): void {
    this.connection.emit(
      'error',
      new CleartextPasswordRefusedError(
        `the server asked for the password of role ${JSON.stringify(this.user)} in clear text; refused`,
        {
          action:
            'Use scram-sha-256 (or md5) for this role in pg_hba.conf: this function never sends a password in clear text.',
        },
      ),
    );
  }
}

/** An open connection as one role; always `end()` it (see withConnection). */
export type Connection = pg.Client;

/**
 * Connect and authenticate, or throw a typed error saying why not. TLS is used exactly when the
 * endpoint says so, verified, with SCRAM channel binding when the server offers it; a server without
 * TLS is an error, never a silent plaintext fallback.
 */
export async function connect(endpoint: Endpoint, login: Login): Promise<Connection> {
  const settings = settingsFromEnv();
  rememberSecret(login.password);
  const client = new NoCleartextClient({
    host: endpoint.host,
    port: endpoint.port,
    database: endpoint.database,
    user: login.username,
    password: login.password,
    ssl: endpoint.tls ? tlsOptions() : false,
    enableChannelBinding: endpoint.tls,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    statement_timeout: settings.statementTimeoutMs,
    lock_timeout: settings.statementTimeoutMs,
    query_timeout: settings.statementTimeoutMs + 1_000,
    application_name: 'secret-rotation',
  });
  // A connection that dies later must not crash the process with an unhandled 'error' event; the
  // query in flight rejects with it anyway.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    const attempt: Attempt = {
      endpoint,
      username: login.username,
      credential: login.credential,
      connectTimeoutMs: settings.connectTimeoutMs,
    };
    throw classifyConnectError(error, attempt);
  }
}

/** An open connection, or undefined when the server rejects these credentials. Other failures throw. */
export async function tryConnect(endpoint: Endpoint, login: Login): Promise<Connection | undefined> {
  try {
    return await connect(endpoint, login);
  } catch (error) {
    if (error instanceof CredentialRejectedError) return undefined;
    throw error;
  }
}

/** Whether the server accepts these credentials (a rejection is false; unreachable throws). */
export async function accepts(endpoint: Endpoint, login: Login): Promise<boolean> {
  const connection = await tryConnect(endpoint, login);
  await connection?.end().catch(() => undefined);
  return connection !== undefined;
}

export async function withConnection<T>(
  endpoint: Endpoint,
  login: Login,
  body: (connection: Connection) => Promise<T>,
): Promise<T> {
  const connection = await connect(endpoint, login);
  try {
    return await body(connection);
  } finally {
    await connection.end().catch(() => undefined);
  }
}

/** Run `body` in a transaction: all of it happens, or none (a crash mid-way leaves nothing half done). */
export async function inTransaction<T>(connection: Connection, body: () => Promise<T>): Promise<T> {
  await connection.query('BEGIN');
  try {
    const result = await body();
    await connection.query('COMMIT');
    return result;
  } catch (error) {
    await connection.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
