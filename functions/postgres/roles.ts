import { randomBytes } from 'node:crypto';
import { scramSha256Verifier } from '../../shared/credentials/scram';
import { generatePassword, passwordPolicyFromEnv } from '../../shared/credentials/password';
import { rememberSecret } from '../../shared/observability/redaction';
import type { Connection } from './connection';

/**
 * The SCRAM-SHA-256 verifier PostgreSQL will store for `password`. CREATE/ALTER ROLE store a
 * verifier as is, so the plaintext never travels to the server or lands in its statement log.
 * The verifier is remembered for scrubbing: it is not the password, but it is brute-forceable.
 */
export function verifierFor(password: string): string {
  const verifier = scramSha256Verifier(password);
  rememberSecret(verifier);
  return verifier;
}

/** A fresh password under the policy in the environment (PASSWORD_LENGTH, EXCLUDE_*...). */
export function newPassword(): string {
  return generatePassword(passwordPolicyFromEnv());
}

/**
 * A verifier for a random password nobody will ever know (384 bits, never stored): the role can no
 * longer log in with any password it had. Independent of the password policy, which is for
 * passwords people and clients use.
 */
export function unknowableVerifier(): string {
  return verifierFor(randomBytes(48).toString('base64'));
}

/** ALTER ROLE ... WITH PASSWORD, quoted by pg (the connection's escape methods are pg's own). */
export function setPasswordSql(connection: Connection, role: string, verifier: string): string {
  return `ALTER ROLE ${connection.escapeIdentifier(role)} WITH PASSWORD ${connection.escapeLiteral(verifier)}`;
}

export interface RoleFacts {
  oid: number;
  name: string;
  superuser: boolean;
  canLogin: boolean;
}

/** The roles among `names` that exist, by name. */
export async function roleFacts(connection: Connection, names: string[]): Promise<Map<string, RoleFacts>> {
  const result = await connection.query<{
    oid: number;
    rolname: string;
    rolsuper: boolean;
    rolcanlogin: boolean;
  }>(
    'SELECT oid::int AS oid, rolname, rolsuper, rolcanlogin FROM pg_catalog.pg_roles WHERE rolname = ANY($1::text[])',
    [names],
  );
  return new Map(
    result.rows.map((row) => [
      row.rolname,
      { oid: row.oid, name: row.rolname, superuser: row.rolsuper, canLogin: row.rolcanlogin },
    ]),
  );
}

/**
 * Terminate the sessions a role has open, one by one, so a permission refusal for one does not stop
 * the others. Returns how many ended and how many we were not allowed to end.
 */
export async function terminateSessions(
  connection: Connection,
  role: string,
): Promise<{ terminated: number; refused: number }> {
  const sessions = await connection.query<{ pid: number }>(
    'SELECT pid FROM pg_catalog.pg_stat_activity WHERE usename = $1 AND pid <> pg_catalog.pg_backend_pid()',
    [role],
  );
  let terminated = 0;
  let refused = 0;
  for (const { pid } of sessions.rows) {
    try {
      const ended = await connection.query<{ ended: boolean }>(
        'SELECT pg_catalog.pg_terminate_backend($1) AS ended',
        [pid],
      );
      if (ended.rows[0]?.ended) terminated++;
    } catch (error) {
      if ((error as { code?: string }).code !== '42501') throw error;
      refused++;
    }
  }
  return { terminated, refused };
}
