import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RotatingPool } from '../../../packages/consumer/src/pg';
import type { RetryEvent } from '../../../packages/consumer/src/retry';
import { SecretCache } from '../../../packages/consumer/src/secret-cache';
import { LocalLambda } from '../../../dev/aws/local-lambda';
import { RotationDriver } from '../../../dev/aws/rotation-driver';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import { type PostgresCluster, startPostgres } from '../../../dev/targets/postgres/cluster';
import { createPostgresFixture, postgresFunctionEnv } from '../../../dev/targets/postgres/fixture';

/**
 * RotatingPool against a real PostgreSQL (SCRAM passwords checked) while the built postgres function
 * rotates the secret in moto: which login new connections use, what happens to idle and busy
 * connections of the old one, and what a refused login or an ended session does.
 */
const admin = new SecretsAdmin();
const driver = new RotationDriver({ attemptsPerStep: 1 });
let cluster: PostgresCluster;
let lambda: LocalLambda;
const pools: RotatingPool[] = [];

beforeAll(async () => {
  cluster = await startPostgres();
  lambda = await LocalLambda.start('postgres', { env: postgresFunctionEnv() });
});

afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.end()));
  await lambda?.stop();
  await cluster?.stop();
});

const invoke = (event: object) => lambda.invoke(event);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function rotatingPool(
  secretId: string,
  options: Partial<ConstructorParameters<typeof RotatingPool>[0]> = {},
) {
  const retries: RetryEvent['reason'][] = [];
  const pool = new RotatingPool({
    cache: new SecretCache({ ttlMs: 60_000 }),
    secretId,
    max: 4,
    connectionTimeoutMillis: 5_000,
    onRetry: (event) => retries.push(event.reason),
    ...options,
  });
  pools.push(pool);
  return { pool, retries };
}

/** The server's own count of sessions logged in as each of these users. */
async function sessionsOf(...users: string[]): Promise<Record<string, number>> {
  const rows = await cluster.query<{ usename: string; n: number }>(
    `SELECT usename, count(*)::int AS n FROM pg_stat_activity WHERE usename = ANY($1) GROUP BY usename`,
    [users],
  );
  return Object.fromEntries(users.map((user) => [user, rows.find((r) => r.usename === user)?.n ?? 0]));
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

const whoAmI = async (pool: RotatingPool) =>
  (await pool.query<{ u: string }>('SELECT session_user AS u')).rows[0]?.u;

describe('RotatingPool with alternating users', () => {
  it('moves new connections to the other user; idle old ones close at once, a busy one finishes first', async () => {
    const fixture = await createPostgresFixture(cluster, admin, { strategy: 'alternating-users' });
    const clone = `${fixture.username}_clone`;
    const cache = new SecretCache({ ttlMs: 60_000 });
    const { pool, retries } = rotatingPool(fixture.secretId, { cache });
    await Promise.all([1, 2, 3].map(() => pool.query('SELECT pg_sleep(0.05)')));
    expect(await sessionsOf(fixture.username)).toEqual({ [fixture.username]: 3 });

    const busy = await pool.connect();
    const running = busy.query<{ u: string }>('SELECT pg_sleep(0.6), session_user AS u');
    await driver.rotate(fixture.secretId, invoke);
    cache.invalidate(fixture.secretId); // the service was told the rotation finished

    expect(await whoAmI(pool)).toBe(clone);
    expect(pool.user).toBe(clone);
    // The two idle connections of the old user are gone; the busy one is still at work.
    await until(
      async () => (await sessionsOf(fixture.username))[fixture.username] === 1,
      'idle ones to close',
    );
    expect((await running).rows[0]?.u).toBe(fixture.username);
    busy.release();
    await until(
      async () => (await sessionsOf(fixture.username))[fixture.username] === 0,
      'the busy one to close',
    );
    expect(pool.drainingCount).toBe(0);
    expect(retries).toEqual([]);
  });

  it('a stale cache needs no retry: the previous user still logs in until the next rotation', async () => {
    const fixture = await createPostgresFixture(cluster, admin, { strategy: 'alternating-users' });
    const { pool, retries } = rotatingPool(fixture.secretId, { maxUses: 1 });
    expect(await whoAmI(pool)).toBe(fixture.username);
    await driver.rotate(fixture.secretId, invoke);
    // maxUses 1: every query opens a new connection, still with the cached (now AWSPREVIOUS) login.
    for (let i = 0; i < 3; i++) expect(await whoAmI(pool)).toBe(fixture.username);
    expect(retries).toEqual([]);
  });

  it('after an emergency revoke: ended sessions make the pool re-read the secret; a query in flight fails unless retryTerminatedQueries', async () => {
    const fixture = await createPostgresFixture(cluster, admin, { strategy: 'alternating-users' });
    const clone = `${fixture.username}_clone`;
    const plain = rotatingPool(fixture.secretId);
    const retrying = rotatingPool(fixture.secretId, { retryTerminatedQueries: true });
    expect(await whoAmI(plain.pool)).toBe(fixture.username);
    expect(await whoAmI(retrying.pool)).toBe(fixture.username);

    await driver.rotate(fixture.secretId, invoke);
    const held = await plain.pool.connect();
    const inFlight = [plain, retrying].map(({ pool }) =>
      pool.query<{ u: string }>('SELECT pg_sleep(1), session_user AS u').then(
        (result) => result.rows[0]?.u,
        (error: { code?: string }) => `failed ${error.code}`,
      ),
    );
    await sleep(200);
    await invoke({ Action: 'revokePrevious', SecretId: fixture.secretId, Reason: 'test' });

    expect(await Promise.all(inFlight)).toEqual(['failed 57P01', clone]);
    // A client held between queries when its session was ended: no unheard 'error' (pg.Pool does not
    // listen on checked-out clients), and its next query fails saying why.
    await expect(held.query('SELECT 1')).rejects.toThrow(/not queryable|terminat/);
    held.release();
    expect(retrying.retries).toEqual(['session-terminated']);
    // The plain pool's next query goes to the clone: its sessions ending made it re-read the secret,
    // so no login was even refused.
    expect(await whoAmI(plain.pool)).toBe(clone);
    expect(plain.retries).toEqual([]);
    expect(await sessionsOf(fixture.username)).toEqual({ [fixture.username]: 0 });
  });
});

describe('RotatingPool with a single user', () => {
  it('between setSecret and finishSecret a refused AWSCURRENT falls back to AWSPENDING, once', async () => {
    const fixture = await createPostgresFixture(cluster, admin, { strategy: 'single-user' });
    const { pool, retries } = rotatingPool(fixture.secretId, { maxUses: 1 });
    const strict = rotatingPool(fixture.secretId, { maxUses: 1, pendingFallback: false });
    expect(await whoAmI(pool)).toBe(fixture.username);
    expect(await whoAmI(strict.pool)).toBe(fixture.username);

    const token = await driver.startRotation(fixture.secretId);
    await driver.runSteps(fixture.secretId, token, invoke, ['createSecret', 'setSecret']);
    // The server now holds only the pending password; AWSCURRENT still has the old one.
    expect(await whoAmI(pool)).toBe(fixture.username);
    expect(retries).toEqual(['pending-credential']);
    await expect(strict.pool.query('SELECT 1')).rejects.toMatchObject({ code: '28P01' });

    await driver.runSteps(fixture.secretId, token, invoke, ['testSecret', 'finishSecret']);
    // The cache still says the old AWSCURRENT; the pool stays on the login that works.
    for (let i = 0; i < 3; i++) expect(await whoAmI(pool)).toBe(fixture.username);
    expect(retries).toEqual(['pending-credential']);
    // The strict pool recovers once the new value is AWSCURRENT (a login found still current is
    // re-checked at most once a second).
    await sleep(1_100);
    expect(await whoAmI(strict.pool)).toBe(fixture.username);
    expect(strict.retries).toEqual(['invalid-password']);
  });

  it('a refused login that is still AWSCURRENT, with nothing pending, is the 28P01 the caller sees', async () => {
    const fixture = await createPostgresFixture(cluster, admin, { strategy: 'single-user' });
    const { pool, retries } = rotatingPool(fixture.secretId);
    await cluster.query(`ALTER ROLE ${fixture.username} PASSWORD 'changed-behind-our-back'`);
    await expect(pool.query('SELECT 1')).rejects.toMatchObject({ code: '28P01' });
    expect(retries).toEqual([]);
  });
});
