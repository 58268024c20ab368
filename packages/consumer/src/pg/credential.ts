import type { SecretFields } from '../secret-value.js';

/** Where and as whom new connections log in, from an RDS-format secret (no password in `describe`). */
export interface PostgresCredential {
  host: string;
  port: number;
  /** The secret's `dbname`, or undefined (the pool's `database` option, or pg's default). */
  database: string | undefined;
  user: string;
  password: string;
  /** The secret's `ssl`: undefined when absent. */
  ssl: boolean | undefined;
}

export function parsePostgresCredential(fields: SecretFields): PostgresCredential {
  return {
    host: fields.string('host'),
    port: fields.optionalPort('port') ?? 5432,
    database: fields.optionalString('dbname'),
    user: fields.string('username'),
    password: fields.string('password'),
    ssl: fields.optionalFlag('ssl'),
  };
}

/** Two credentials are the same login when endpoint, user and password all match. */
export function postgresIdentity(credential: PostgresCredential): string {
  return JSON.stringify([
    credential.host,
    credential.port,
    credential.database,
    credential.user,
    credential.password,
  ]);
}

/** SQLSTATE 28P01 invalid_password: the login was refused; nothing ran. */
export function isLoginRefused(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '28P01';
}

/**
 * The server ended the session (57P01 admin_shutdown: pg_terminate_backend, as an emergency revoke
 * does, or a fast shutdown), or the connection dropped while a query ran.
 */
export function isSessionEnded(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    code === '57P01' ||
    (typeof message === 'string' &&
      /^Connection terminated( unexpectedly)?$|Client has encountered a connection error/.test(message))
  );
}
