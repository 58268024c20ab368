import type { Client, ClientConfig } from 'pg';
import { type Deadline, untilDeadline } from '../../shared/net/deadline';
import { rememberSecret } from '../../shared/observability/redaction';
import { CredentialRejectedError } from '../../shared/errors';
import { authenticationName, guardAuthentication, type ParsedConnection } from './auth-guard';
import {
  type Attempt,
  CleartextPasswordRefusedError,
  classifyConnectError,
  classifyPostgresError,
  Md5PasswordRefusedError,
  UnsupportedAuthenticationError,
} from './errors';
import { describeEndpoint, type Endpoint } from './secret';
import { settingsFromEnv } from './settings';
import { tlsOptions } from './tls';

export interface Login {
  username: string;
  password: string;
  /** Which credential this is, for messages: "AWSPENDING", "the master secret"... */
  credential: string;
  /**
   * Answer an MD5 challenge with this password: only when the secret the password comes from says
   * `"allow_md5_password": true` (its role's stored password predates SCRAM).
   */
  allowMd5?: boolean;
}

/** An open connection as one role; always `end()` it (see withConnection). */
export type Connection = Client;

type GuardedClientClass = new (config: ClientConfig, login: Login) => Client;
let clientClass: Promise<GuardedClientClass> | undefined;

/**
 * pg answers every password challenge it gets: a request for the password in clear text (pg_hba
 * `password`, `ldap`, `pam`) and an MD5 challenge alike, and crashes on one it cannot answer
 * (GSSAPI, SSPI). This client answers SCRAM-SHA-256 only: a server that asks for anything else
 * (a fake one, or a misconfigured pg_hba.conf) gets no answer derived from the password, and the
 * login fails with an error naming what was asked. MD5 is answered for a login whose secret opts
 * in. pg loads with the first connection (its own chunk), not at cold start: createSecret never
 * connects.
 */
function guardedClient(): Promise<GuardedClientClass> {
  clientClass ??= import('pg').then(
    ({ default: pg }) =>
      class ScramOnlyClient extends pg.Client {
        readonly #login: Login;

        constructor(config: ClientConfig, login: Login) {
          super(config);
          this.#login = login;
          guardAuthentication(this.connection as unknown as ParsedConnection, (code) =>
            unsupported(login, authenticationName(code)),
          );
        }

        _handleAuthCleartextPassword(): void {
          this.connection.emit(
            'error',
            new CleartextPasswordRefusedError(
              `the server asked for the password of role ${JSON.stringify(this.user)} in clear text; refused`,
              {
                action:
                  'Use scram-sha-256 for this role in pg_hba.conf: this function never sends a password in clear text.',
              },
            ),
          );
        }

        _handleAuthMD5Password(message: unknown): void {
          if (this.#login.allowMd5 === true) {
            (
              pg.Client.prototype as unknown as { _handleAuthMD5Password(m: unknown): void }
            )._handleAuthMD5Password.call(this, message);
            return;
          }
          this.connection.emit(
            'error',
            new Md5PasswordRefusedError(
              `the server asked ${whoIs(this.#login)} for an MD5 password hash; refused (only SCRAM-SHA-256 is answered unless that secret sets "allow_md5_password": true)`,
              {
                action:
                  'Store the role\'s password as SCRAM (password_encryption = scram-sha-256, then rotate) and use scram-sha-256 in pg_hba.conf. If the server really only has MD5, set "allow_md5_password": true in the secret whose password it is.',
              },
            ),
          );
        }

        _handleAuthSASL(message: { mechanisms?: string[] }): void {
          if (!message.mechanisms?.includes('SCRAM-SHA-256')) {
            this.connection.emit(
              'error',
              unsupported(this.#login, `SASL with ${message.mechanisms?.join(', ') || 'no mechanism'}`),
            );
            return;
          }
          (pg.Client.prototype as unknown as { _handleAuthSASL(m: unknown): void })._handleAuthSASL.call(
            this,
            message,
          );
        }
      },
  );
  return clientClass;
}

function unsupported(login: Login, what: string): UnsupportedAuthenticationError {
  return new UnsupportedAuthenticationError(
    `the server asked ${whoIs(login)} for ${what}; refused (this function answers SCRAM-SHA-256 only)`,
    {
      action:
        'Use scram-sha-256 for this role in pg_hba.conf, or check that the host is the database server.',
    },
  );
}

/** `role "app" (AWSPENDING)`, for messages. */
export function whoIs(login: Login): string {
  return `role ${JSON.stringify(login.username)} (${login.credential})`;
}

/** Close the socket under a client, whatever it is doing (connecting, waiting for a statement). */
function destroy(client: Client): void {
  client.connection.stream.destroy();
}

/**
 * Connect and authenticate, or throw a typed error saying why not. TLS is used exactly when the
 * endpoint says so, verified, with SCRAM channel binding when the server offers it; a server without
 * TLS is an error, never a silent plaintext fallback.
 *
 * When the deadline fires, the socket is destroyed: during the login, and for as long as the
 * connection stays open, so a statement waiting on a server that went silent stops too.
 */
export async function connect(endpoint: Endpoint, login: Login, deadline: Deadline): Promise<Connection> {
  deadline.waitingFor(`connecting to ${endpoint.host}:${endpoint.port}`);
  const settings = settingsFromEnv();
  rememberSecret(login.password);
  const ScramOnlyClient = await guardedClient();
  const client = new ScramOnlyClient(
    {
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
    },
    login,
  );
  // A connection that dies later must not crash the process with an unhandled 'error' event; the
  // query in flight rejects with it anyway.
  client.on('error', () => undefined);
  try {
    await untilDeadline(
      deadline,
      () => destroy(client),
      () => client.connect(),
    );
    const stop = () => destroy(client);
    deadline.signal.addEventListener('abort', stop, { once: true });
    client.once('end', () => deadline.signal.removeEventListener('abort', stop));
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
export async function tryConnect(
  endpoint: Endpoint,
  login: Login,
  deadline: Deadline,
): Promise<Connection | undefined> {
  try {
    return await connect(endpoint, login, deadline);
  } catch (error) {
    if (error instanceof CredentialRejectedError) return undefined;
    throw error;
  }
}

/** Whether the server accepts these credentials (a rejection is false; unreachable throws). */
export async function accepts(endpoint: Endpoint, login: Login, deadline: Deadline): Promise<boolean> {
  const connection = await tryConnect(endpoint, login, deadline);
  await connection?.end().catch(() => undefined);
  return connection !== undefined;
}

/** What statements on a connection are for, for the timeout alert and failure messages. */
export interface Statements {
  endpoint: Endpoint;
  login: Login;
  /** Who runs them, for messages, when not `whoIs(login)`: `the master user "admin"`. */
  who?: string;
  /** What they do, as it follows "is not allowed to": `set the password of role "app_clone"`. */
  doing: string;
  deadline: Deadline;
}

/**
 * Run statements on an open connection: the invocation now waits for them, and whatever fails
 * (a restart, a dropped connection, a refusal) is classified naming the endpoint and what was done.
 */
export async function runStatements<T>(
  connection: Connection,
  statements: Statements,
  body: (connection: Connection) => Promise<T>,
): Promise<T> {
  const { endpoint, login, doing, deadline } = statements;
  deadline.waitingFor(`${describeEndpoint(endpoint)}: ${doing}`);
  try {
    return await body(connection);
  } catch (error) {
    throw classifyPostgresError(error, { endpoint, who: statements.who ?? whoIs(login), doing });
  }
}

/** Connect, run statements, always end the connection. */
export async function withConnection<T>(
  statements: Statements,
  body: (connection: Connection) => Promise<T>,
): Promise<T> {
  const connection = await connect(statements.endpoint, statements.login, statements.deadline);
  try {
    return await runStatements(connection, statements, body);
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
