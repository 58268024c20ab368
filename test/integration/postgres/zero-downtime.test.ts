import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretCache } from '../../../packages/consumer/src/secret-cache';
import { LocalLambda } from '../../../dev/aws/local-lambda';
import { type PostgresCluster, startPostgres } from '../../../dev/targets/postgres/cluster';
import {
  APP_DATABASE,
  createPostgresFixture,
  postgresFunctionEnv,
  type PostgresSecretValue,
} from '../../../dev/targets/postgres/fixture';
import { RotationDriver } from '../../../dev/aws/rotation-driver';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';

/**
 * The point of alternating users: clients that re-read the secret only every few minutes never
 * fail a login. Here the cache lives CACHE_TTL_MS and rotations come every ROTATION_GAP_MS: the same
 * ratio as a 5-minute cache against a 30-day schedule (the cache is always younger than the last
 * rotation), compressed into seconds.
 */
const ROTATIONS = 20;
const CACHE_TTL_MS = 150;
const ROTATION_GAP_MS = 400;
const CLIENTS = 3;

const secrets = new SecretsAdmin();
const driver = new RotationDriver({ attemptsPerStep: 1 });
let cluster: PostgresCluster;
let lambda: LocalLambda;

beforeAll(async () => {
  cluster = await startPostgres();
  lambda = await LocalLambda.start('postgres', { env: postgresFunctionEnv() });
});

afterAll(async () => {
  await lambda?.stop();
  await cluster?.stop();
});

interface ClientStats {
  logins: number;
  /** Logins with a value that was no longer AWSCURRENT: proves the stale window was exercised. */
  staleLogins: number;
  failures: string[];
  users: Set<string>;
}

async function clientLoop(
  secretId: string,
  cache: SecretCache,
  latest: () => string,
  stopped: () => boolean,
  stats: ClientStats,
) {
  while (!stopped()) {
    const value = JSON.parse(await cache.get(secretId)) as PostgresSecretValue;
    const stale = value.password !== latest();
    const client = new pg.Client({
      host: value.host,
      port: value.port,
      user: value.username,
      password: value.password,
      database: APP_DATABASE,
      ssl: false,
      connectionTimeoutMillis: 5_000,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      stats.logins++;
      if (stale) stats.staleLogins++;
      stats.users.add(value.username);
    } catch (error) {
      const code = (error as { code?: string }).code ?? '';
      stats.failures.push(`${value.username}: ${code} ${(error as Error).message}`);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

describe('zero downtime with alternating users', () => {
  it(`${ROTATIONS} rotations while clients keep logging in with a cached AWSCURRENT: zero failed logins`, async () => {
    const fixture = await createPostgresFixture(cluster, secrets, { strategy: 'alternating-users' });
    let latestPassword = fixture.initial.password;
    let done = false;
    const stats: ClientStats = { logins: 0, staleLogins: 0, failures: [], users: new Set() };
    const clients = Array.from({ length: CLIENTS }, () =>
      clientLoop(
        fixture.secretId,
        new SecretCache({ ttlMs: CACHE_TTL_MS }),
        () => latestPassword,
        () => done,
        stats,
      ),
    );
    try {
      for (let i = 0; i < ROTATIONS; i++) {
        await driver.rotate(fixture.secretId, (event) => lambda.invoke(event));
        latestPassword =
          (await secrets.valueAt<PostgresSecretValue>(fixture.secretId, 'AWSCURRENT'))?.password ?? '';
        await new Promise((resolve) => setTimeout(resolve, ROTATION_GAP_MS));
      }
    } finally {
      done = true;
      await Promise.all(clients);
    }
    expect(stats.failures).toEqual([]);
    expect(stats.logins).toBeGreaterThan(ROTATIONS * 10);
    expect(stats.staleLogins).toBeGreaterThan(0);
    expect([...stats.users].sort()).toEqual([fixture.username, `${fixture.username}_clone`]);
  }, 120_000);
});
