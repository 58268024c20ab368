import { randomBytes } from 'node:crypto';
import { escapeIdentifier, escapeLiteral } from 'pg';
import { scramSha256Verifier } from '../../../shared/credentials/scram';
import type { Credentials, PostgresCluster } from './cluster';
import type { SecretsAdmin } from '../../aws/secrets-admin';

/**
 * A PostgreSQL rotation set up in one call, for tests, the demo and the bench: an application role
 * with its own schema in the `appdb` database, an admin role like an RDS master user (CREATEROLE and
 * pg_signal_backend, not a superuser), and the secrets in Secrets Manager (moto) in AWS's RDS format.
 */

export const APP_DATABASE = 'appdb';
const ADMIN_ROLE = 'rotation_admin';

export type Strategy = 'single-user' | 'alternating-users';

export interface PostgresSecretValue {
  engine: 'postgres' | 'aurora-postgresql';
  host: string;
  port: number;
  username: string;
  password: string;
  dbname: string;
  masterarn?: string;
  ssl?: boolean;
  [key: string]: unknown;
}

export interface PostgresFixture {
  secretId: string;
  masterSecretId: string | undefined;
  username: string;
  initial: PostgresSecretValue;
  admin: Credentials;
}

export interface FixtureOptions {
  strategy: Strategy;
  /** Default: a fresh lowercase name, so fixtures never collide in one cluster. */
  username?: string;
  /** Default: a random 24-character password. */
  password?: string;
  /** Extra keys stored in the secret, to prove they survive rotation. */
  extra?: Record<string, unknown>;
  /** Secret names (the demo follows the naming convention); default: unique test names. */
  secretName?: string;
  masterSecretName?: string;
}

/** A role name no other fixture in this cluster uses. */
export function uniqueRoleName(prefix = 'app'): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

const adminPasswords = new WeakMap<PostgresCluster, Promise<Credentials>>();

/** The admin role and the app database, created once per cluster. */
function ensureAdmin(cluster: PostgresCluster): Promise<Credentials> {
  let admin = adminPasswords.get(cluster);
  if (!admin) {
    admin = (async () => {
      const credentials = { username: ADMIN_ROLE, password: randomBytes(18).toString('base64url') };
      await cluster.query(
        `CREATE ROLE ${ADMIN_ROLE} WITH LOGIN CREATEROLE PASSWORD ${escapeLiteral(scramSha256Verifier(credentials.password))}`,
      );
      await cluster.query(`GRANT pg_signal_backend TO ${ADMIN_ROLE}`);
      await cluster.query(`CREATE DATABASE ${APP_DATABASE}`);
      return credentials;
    })();
    adminPasswords.set(cluster, admin);
  }
  return admin;
}

/** An application role with a password (set as a verifier) and its own schema in appdb. */
export async function createAppRole(cluster: PostgresCluster, credentials: Credentials): Promise<void> {
  await ensureAdmin(cluster);
  const role = escapeIdentifier(credentials.username);
  await cluster.query(
    `CREATE ROLE ${role} WITH LOGIN PASSWORD ${escapeLiteral(scramSha256Verifier(credentials.password))}`,
  );
  await cluster.query(`CREATE SCHEMA ${role} AUTHORIZATION ${role}`, [], APP_DATABASE);
}

/** Set a role's password behind rotation's back, as an operator restoring a backup would. */
export async function resetPassword(cluster: PostgresCluster, role: string, password: string): Promise<void> {
  await cluster.query(
    `ALTER ROLE ${escapeIdentifier(role)} WITH PASSWORD ${escapeLiteral(scramSha256Verifier(password))}`,
  );
}

/** Role, schema and secrets for one rotation; returns the secret ARNs and the initial value. */
export async function createPostgresFixture(
  cluster: PostgresCluster,
  secrets: SecretsAdmin,
  options: FixtureOptions,
): Promise<PostgresFixture> {
  const admin = await ensureAdmin(cluster);
  const username = options.username ?? uniqueRoleName();
  const password = options.password ?? randomBytes(18).toString('base64url');
  await createAppRole(cluster, { username, password });

  // A cluster without TLS needs ssl:false in the secrets: absent means TLS required.
  const tls = cluster.tls ? {} : { ssl: false };
  let masterSecretId: string | undefined;
  if (options.strategy === 'alternating-users') {
    masterSecretId = await secrets.create(
      options.masterSecretName ?? secrets.uniqueName('postgres', 'master'),
      {
        engine: 'postgres',
        host: cluster.host,
        port: cluster.port,
        username: admin.username,
        password: admin.password,
        ...tls,
      },
    );
  }
  const initial: PostgresSecretValue = {
    engine: 'postgres',
    host: cluster.host,
    port: cluster.port,
    username,
    password,
    dbname: APP_DATABASE,
    ...(masterSecretId ? { masterarn: masterSecretId } : {}),
    ...tls,
    ...options.extra,
  };
  const secretId = await secrets.create(
    options.secretName ?? secrets.uniqueName('postgres', 'password'),
    initial,
  );
  return { secretId, masterSecretId, username, initial, admin };
}

/** The function environment the tests use: short timeouts, so a broken case fails fast. */
export function postgresFunctionEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PG_CONNECT_TIMEOUT_MS: '3000', PG_STATEMENT_TIMEOUT_MS: '5000', ...extra };
}
