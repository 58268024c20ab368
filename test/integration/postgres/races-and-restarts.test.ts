import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LambdaInvokeError, LocalLambda } from '../../../dev/aws/local-lambda';
import { RotationDriver, type RotationEventShape } from '../../../dev/aws/rotation-driver';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import { waitFor } from '../../../dev/lib/ports';
import { canLogin, type PostgresCluster, startPostgres } from '../../../dev/targets/postgres/cluster';
import {
  APP_DATABASE,
  createPostgresFixture,
  type PostgresFixture,
  postgresFunctionEnv,
  type PostgresSecretValue,
} from '../../../dev/targets/postgres/fixture';

/**
 * Concurrency and restarts against a real PostgreSQL, through the built bundle. To make the timing
 * certain, a superuser session holds a SHARE lock on pg_authid: role reads go on, but CREATE and
 * ALTER ROLE wait for it, so the test knows every invocation is inside its statement when it
 * releases the lock (two concurrent first rotations) or restarts the server (a restart mid-step).
 */
const secrets = new SecretsAdmin();
const driver = new RotationDriver({ attemptsPerStep: 1 });

let cluster: PostgresCluster;
const lambdas: LocalLambda[] = [];

beforeAll(async () => {
  cluster = await startPostgres();
});

afterEach(async () => {
  await Promise.all(lambdas.splice(0).map((lambda) => lambda.stop()));
});

afterAll(async () => {
  await cluster?.stop();
});

async function postgresFunction(): Promise<LocalLambda> {
  // The statements wait on the test's lock for a while: give them time.
  const lambda = await LocalLambda.start('postgres', {
    env: postgresFunctionEnv({ PG_STATEMENT_TIMEOUT_MS: '20000' }),
  });
  lambdas.push(lambda);
  return lambda;
}

/** A superuser session holding SHARE on pg_authid until `release` (or a restart ends it). */
async function holdRoleChanges(): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({
    host: cluster.host,
    port: cluster.port,
    user: cluster.superuser.username,
    password: cluster.superuser.password,
    database: 'postgres',
  });
  client.on('error', () => undefined);
  await client.connect();
  await client.query('BEGIN');
  await client.query('LOCK TABLE pg_catalog.pg_authid IN SHARE MODE');
  return {
    async release() {
      await client.query('COMMIT').catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}

/** Wait until `count` sessions are blocked on a lock inside a role statement. */
async function blockedInRoleStatements(count: number): Promise<void> {
  await waitFor(
    `${count} role statements waiting on the lock`,
    async () => {
      const rows = await cluster.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ~ '^(CREATE|ALTER) ROLE'",
      );
      return rows[0]?.n === count;
    },
    { timeoutMs: 15_000, intervalMs: 20 },
  );
}

const step = (fixture: PostgresFixture, token: string, Step: RotationEventShape['Step']) => ({
  SecretId: fixture.secretId,
  ClientRequestToken: token,
  Step,
});

function lastAudit(lambda: LocalLambda, stepName: string): Record<string, unknown> | undefined {
  return lambda
    .jsonLines()
    .map((line) => line.audit as Record<string, unknown> | undefined)
    .filter((audit) => audit?.step === stepName)
    .at(-1);
}

describe('two concurrent first rotations of an alternating-users secret', () => {
  it('both create the clone: the CREATE ROLE that loses the race takes the already-exists path', async () => {
    const fixture = await createPostgresFixture(cluster, secrets, { strategy: 'alternating-users' });
    const [first, second] = await Promise.all([postgresFunction(), postgresFunction()]);
    const token = await driver.startRotation(fixture.secretId);
    await first.invoke(step(fixture, token, 'createSecret'));

    const lock = await holdRoleChanges();
    const both = Promise.allSettled([
      first.invoke(step(fixture, token, 'setSecret')),
      second.invoke(step(fixture, token, 'setSecret')),
    ]);
    // Both have looked for the clone, found none, and wait in CREATE ROLE.
    await blockedInRoleStatements(2);
    await lock.release();
    const outcomes = await both;

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled']);
    const audits = [lastAudit(first, 'setSecret'), lastAudit(second, 'setSecret')];
    expect(audits.map((audit) => audit?.outcome)).toEqual(['succeeded', 'succeeded']);
    // Exactly one lost the race (23505 on pg_authid), reran its transaction and found the role.
    expect(audits.filter((audit) => audit?.concurrentRoleChange === true)).toHaveLength(1);

    await driver.runSteps(fixture.secretId, token, (event) => first.invoke(event), [
      'testSecret',
      'finishSecret',
    ]);
    const current = await secrets.valueAt<PostgresSecretValue>(fixture.secretId, 'AWSCURRENT');
    expect(current?.username).toBe(`${fixture.username}_clone`);
    expect(await canLogin(cluster, current as PostgresSecretValue, APP_DATABASE)).toBe(true);
    expect(await canLogin(cluster, fixture.initial, APP_DATABASE)).toBe(true);
  });
});

describe('PostgreSQL restarted in the middle of setSecret', () => {
  it('fails the step with a retryable error naming the endpoint and what it was doing; the retry completes', async () => {
    const fixture = await createPostgresFixture(cluster, secrets, { strategy: 'alternating-users' });
    const lambda = await postgresFunction();
    const token = await driver.startRotation(fixture.secretId);
    await lambda.invoke(step(fixture, token, 'createSecret'));

    const lock = await holdRoleChanges();
    const setting = lambda.invoke(step(fixture, token, 'setSecret')).catch((error: unknown) => error);
    await blockedInRoleStatements(1);
    await cluster.restart();
    await lock.release();
    const failure = await setting;

    expect(failure).toBeInstanceOf(LambdaInvokeError);
    const clone = `${fixture.username}_clone`;
    expect((failure as LambdaInvokeError).errorType).toBe('TargetUnreachableError');
    expect((failure as LambdaInvokeError).message).toBe(
      `127.0.0.1:${cluster.port}/${APP_DATABASE} ended the session: the server is shutting down or restarting (SQLSTATE 57P01) while the master user "rotation_admin" tried to set the password of role "${clone}"`,
    );
    expect(lastAudit(lambda, 'setSecret')).toMatchObject({
      outcome: 'failed',
      errorClass: 'TargetUnreachableError',
      retryable: true,
      action: expect.stringContaining('Transient'),
    });

    // Secrets Manager retries the step; the server is back, and the rotation completes.
    await driver.runSteps(fixture.secretId, token, (event) => lambda.invoke(event), [
      'setSecret',
      'testSecret',
      'finishSecret',
    ]);
    const current = await secrets.valueAt<PostgresSecretValue>(fixture.secretId, 'AWSCURRENT');
    expect(await canLogin(cluster, current as PostgresSecretValue, APP_DATABASE)).toBe(true);
    expect(lambda.output()).not.toContain(fixture.initial.password);
    expect(lambda.output()).not.toContain(current?.password);
  });
});
