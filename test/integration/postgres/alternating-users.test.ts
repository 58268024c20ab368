import { escapeIdentifier } from 'pg';
import { scramSha256Verifier } from '../../../shared/credentials/scram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LambdaInvokeError } from '../../../dev/aws/local-lambda';
import { LocalLambda } from '../../../dev/aws/local-lambda';
import {
  canLogin,
  type PostgresCluster,
  startPostgres,
  withLogin,
} from '../../../dev/targets/postgres/cluster';
import {
  APP_DATABASE,
  createPostgresFixture,
  type PostgresFixture,
  postgresFunctionEnv,
  type PostgresSecretValue,
  uniqueRoleName,
} from '../../../dev/targets/postgres/fixture';
import type { RotationFailedError } from '../../../dev/aws/rotation-driver';
import { type RotationEventShape, RotationDriver } from '../../../dev/aws/rotation-driver';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import { expectNoSecretsIn, SecretLedger } from './secret-ledger';

/**
 * Alternating users through the built bundle, moto and a real PostgreSQL: `app` and `app_clone`
 * take turns, the admin (a CREATEROLE non-superuser, like an RDS master) creates the clone, and
 * both roles share ownership of everything either creates.
 */
const secrets = new SecretsAdmin();
const driver = new RotationDriver({ attemptsPerStep: 1 });
const ledger = new SecretLedger();

let cluster: PostgresCluster;
let lambda: LocalLambda;

const invoke = (event: RotationEventShape) => lambda.invoke(event);
const asApp = <T>(value: PostgresSecretValue, body: Parameters<typeof withLogin<T>>[2]) =>
  withLogin(cluster, value, body, { database: APP_DATABASE });
const login = (value: PostgresSecretValue | undefined) =>
  canLogin(cluster, { username: value?.username ?? '', password: value?.password ?? '' }, APP_DATABASE);
const lastAudit = (step: string) =>
  lambda
    .jsonLines()
    .filter((line) => (line.audit as { step?: string } | undefined)?.step === step)
    .at(-1)?.audit as Record<string, unknown> | undefined;

async function valueAt(secretId: string, stage: string): Promise<PostgresSecretValue> {
  const value = await secrets.valueAt<PostgresSecretValue>(secretId, stage);
  if (!value) throw new Error(`no ${stage} value`);
  ledger.add(value.password);
  return value;
}

async function alternating(options: { username?: string } = {}): Promise<PostgresFixture> {
  const fixture = await createPostgresFixture(cluster, secrets, {
    strategy: 'alternating-users',
    ...options,
  });
  ledger.add(fixture.initial.password);
  ledger.add(fixture.admin.password);
  return fixture;
}

/** Rotate once; return [AWSCURRENT, AWSPREVIOUS]. */
async function rotate(fixture: PostgresFixture): Promise<[PostgresSecretValue, PostgresSecretValue]> {
  await driver.rotate(fixture.secretId, invoke);
  return [await valueAt(fixture.secretId, 'AWSCURRENT'), await valueAt(fixture.secretId, 'AWSPREVIOUS')];
}

beforeAll(async () => {
  cluster = await startPostgres({ logStatements: true });
  lambda = await LocalLambda.start('postgres', { env: postgresFunctionEnv() });
});

afterAll(async () => {
  await lambda?.stop();
  await cluster?.stop();
});

describe('alternating-users PostgreSQL rotation', () => {
  it('alternates between name and name_clone over four rotations; the current and previous users both log in after each', async () => {
    const fixture = await alternating({ username: uniqueRoleName('crm') });
    const names: string[] = [];
    for (let i = 0; i < 4; i++) {
      const [current, previous] = await rotate(fixture);
      names.push(current.username);
      expect(await login(current)).toBe(true);
      expect(await login(previous)).toBe(true);
      expect(current).toMatchObject({
        ...fixture.initial,
        username: current.username,
        password: current.password,
      });
    }
    const clone = `${fixture.username}_clone`;
    expect(names).toEqual([clone, fixture.username, clone, fixture.username]);
    expect(lastAudit('setSecret')).toMatchObject({ strategy: 'alternating-users', role: fixture.username });
    expect(lastAudit('testSecret')).toMatchObject({ actsAs: fixture.username });
  });

  it('a table created by either user can be read, written, altered and dropped by the other', async () => {
    const fixture = await alternating();
    const [clone, app] = await rotate(fixture);
    expect(clone.username).toBe(`${fixture.username}_clone`);

    await asApp(app, (c) => c.query('CREATE TABLE made_by_app (id int)'));
    await asApp(clone, (c) => c.query('CREATE TABLE made_by_clone (id int)'));
    for (const [actor, table] of [
      [clone, 'made_by_app'],
      [app, 'made_by_clone'],
    ] as const) {
      await asApp(actor, async (c) => {
        await c.query(`INSERT INTO ${table} VALUES (1)`);
        expect((await c.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]).toEqual({ n: 1 });
        await c.query(`ALTER TABLE ${table} ADD COLUMN note text`);
        await c.query(`CREATE INDEX ON ${table} (id)`);
      });
    }
    // A pooler's DISCARD ALL (or RESET ALL) goes back to the role default, not to the clone itself.
    await asApp(clone, async (c) => {
      await c.query('DISCARD ALL');
      expect((await c.query('SELECT current_user AS u')).rows).toEqual([{ u: fixture.username }]);
    });
    const owners = await cluster.query<{ tablename: string; tableowner: string }>(
      'SELECT tablename, tableowner FROM pg_tables WHERE schemaname = $1 ORDER BY tablename',
      [fixture.username],
      APP_DATABASE,
    );
    expect(owners).toEqual([
      { tablename: 'made_by_app', tableowner: fixture.username },
      { tablename: 'made_by_clone', tableowner: fixture.username },
    ]);
    // Two rotations later the roles have swapped again; each still owns what the other made.
    const [app2] = await rotate(fixture);
    expect(app2.username).toBe(fixture.username);
    await asApp(app2, (c) => c.query('DROP TABLE made_by_clone'));
    await asApp(clone, async (c) => {
      await expect(c.query('SELECT 1')).resolves.toBeDefined();
    });
    await asApp((await rotate(fixture))[0], (c) => c.query('DROP TABLE made_by_app'));
  });

  it("the clone has the original's memberships and privileges, including grants made after it was created", async () => {
    const fixture = await alternating();
    const group = uniqueRoleName('readers');
    await cluster.query(`CREATE ROLE ${group} NOLOGIN`);
    await cluster.query(`GRANT ${group} TO ${fixture.username}`);
    await cluster.query('CREATE TABLE IF NOT EXISTS public.reference (code text)', [], APP_DATABASE);
    await cluster.query(`GRANT SELECT ON public.reference TO ${group}`, [], APP_DATABASE);

    const [clone] = await rotate(fixture);
    await asApp(clone, (c) => c.query('SELECT * FROM public.reference'));
    await expect(
      asApp(clone, (c) => c.query('INSERT INTO public.reference VALUES ($1)', ['x'])),
    ).rejects.toThrow(/permission denied/);
    // Granted to the original only, after the clone exists: the clone has it too, with no copying.
    await cluster.query(`GRANT INSERT ON public.reference TO ${fixture.username}`, [], APP_DATABASE);
    await asApp(clone, (c) => c.query('INSERT INTO public.reference VALUES ($1)', ['x']));
    expect(
      await cluster.query('SELECT rolsuper, rolcreaterole, rolcanlogin FROM pg_roles WHERE rolname = $1', [
        clone.username,
      ]),
    ).toEqual([{ rolsuper: false, rolcreaterole: false, rolcanlogin: true }]);
  });

  it("copies the original's role settings to the clone, and a shared owner role when the original uses one", async () => {
    const fixture = await alternating();
    const owner = uniqueRoleName('owner');
    const role = escapeIdentifier(fixture.username);
    await cluster.query(`CREATE ROLE ${owner} NOLOGIN`);
    await cluster.query(`GRANT ${owner} TO ${role}`);
    await cluster.query(`GRANT CREATE ON SCHEMA ${role} TO ${owner}`, [], APP_DATABASE);
    await cluster.query(`ALTER ROLE ${role} SET role = '${owner}'`);
    await cluster.query(`ALTER ROLE ${role} SET search_path = "$user", public, "Odd, Schema"`);
    await cluster.query(`ALTER ROLE ${role} IN DATABASE ${APP_DATABASE} SET statement_timeout = '42s'`);
    // Superuser-only: the admin may not copy it, and the audit line says so.
    await cluster.query(`ALTER ROLE ${role} SET log_min_duration_statement = '1s'`);

    const [clone, app] = await rotate(fixture);
    expect(lastAudit('setSecret')).toMatchObject({ settingsNotCopied: 'log_min_duration_statement' });
    const show = (value: PostgresSecretValue) =>
      asApp(
        value,
        async (c) =>
          (
            await c.query(
              'SELECT current_user, current_setting($1) AS path, current_setting($2) AS timeout',
              ['search_path', 'statement_timeout'],
            )
          ).rows[0],
      );
    const expected = { current_user: owner, path: '"$user", public, "Odd, Schema"', timeout: '42s' };
    expect(await show(clone)).toEqual(expected);
    expect(await show(app)).toEqual(expected);
    await asApp(clone, (c) => c.query(`CREATE TABLE ${role}.shared_owned (id int)`));
    expect(
      await cluster.query(
        'SELECT tableowner FROM pg_tables WHERE tablename = $1',
        ['shared_owned'],
        APP_DATABASE,
      ),
    ).toEqual([{ tableowner: owner }]);
  });

  it("repairs a clone made by AWS's sample function (a plain member): its sessions then act as the original", async () => {
    const fixture = await alternating();
    const clone = `${fixture.username}_clone`;
    await cluster.query(`CREATE ROLE ${clone} LOGIN PASSWORD NULL IN ROLE ${fixture.username}`);
    const [current] = await rotate(fixture);
    expect(lastAudit('setSecret')).toMatchObject({ cloneCreated: false });
    expect(await asApp(current, async (c) => (await c.query('SELECT current_user AS u')).rows[0])).toEqual({
      u: fixture.username,
    });
  });

  it('ends in the same state when every step runs twice, and resumes after a crash after setSecret', async () => {
    const fixture = await alternating();
    const token = await driver.rotate(fixture.secretId, async (event) => {
      await invoke(event);
      await invoke(event);
    });
    expect((await secrets.stages(fixture.secretId))[token]).toEqual(['AWSCURRENT']);
    const [current, previous] = [
      await valueAt(fixture.secretId, 'AWSCURRENT'),
      await valueAt(fixture.secretId, 'AWSPREVIOUS'),
    ];
    expect([await login(current), await login(previous)]).toEqual([true, true]);

    const second = await driver.startRotation(fixture.secretId);
    await driver.runSteps(fixture.secretId, second, invoke, ['createSecret', 'setSecret']);
    const pending = await valueAt(fixture.secretId, 'AWSPENDING');
    expect(pending.username).toBe(fixture.username);
    // Mid-rotation all three work: clients on AWSCURRENT are untouched by setSecret.
    expect([await login(pending), await login(current)]).toEqual([true, true]);
    await driver.runSteps(fixture.secretId, second, invoke);
    expect(await valueAt(fixture.secretId, 'AWSCURRENT')).toEqual(pending);
    expect(await login(current)).toBe(true);
  });

  it('testSecret refuses a clone whose sessions do not act as the original, before AWSCURRENT moves', async () => {
    const fixture = await alternating();
    const token = await driver.startRotation(fixture.secretId);
    await driver.runSteps(fixture.secretId, token, invoke, ['createSecret', 'setSecret']);
    await cluster.query(`ALTER ROLE ${fixture.username}_clone RESET role`);
    const failure = (await driver
      .runSteps(fixture.secretId, token, invoke, ['testSecret'])
      .catch((e: unknown) => e)) as RotationFailedError;
    expect((failure.lastError as LambdaInvokeError).errorType).toBe('RoleStateError');
    expect((failure.lastError as Error).message).toContain(`do not act as "${fixture.username}"`);
    expect((await valueAt(fixture.secretId, 'AWSCURRENT')).username).toBe(fixture.username);
    // The service retries the rotation from setSecret, which repairs the clone.
    await driver.runSteps(fixture.secretId, token, invoke, ['setSecret', 'testSecret', 'finishSecret']);
    expect((await valueAt(fixture.secretId, 'AWSCURRENT')).username).toBe(`${fixture.username}_clone`);
  });

  it('quotes role names with capitals, a hyphen and quote characters, for the clone too', async () => {
    const username = `Crm-App "Ops" O'Brien ${Date.now() % 1000}`;
    const fixture = await alternating({ username });
    const [clone, app] = await rotate(fixture);
    expect(clone.username).toBe(`${username}_clone`);
    await asApp(clone, (c) => c.query(`CREATE TABLE ${escapeIdentifier(username)}."Quoted Table" (id int)`));
    await asApp(app, (c) => c.query(`INSERT INTO ${escapeIdentifier(username)}."Quoted Table" VALUES (1)`));
    const [app2] = await rotate(fixture);
    expect(app2.username).toBe(username);
    expect(await login(app2)).toBe(true);
  });

  it('revokePrevious gives the previous user a password nobody knows and ends its open sessions', async () => {
    const fixture = await alternating();
    const [current, previous] = await rotate(fixture);
    const open = await withLogin(
      cluster,
      previous,
      async (c) => {
        await c.query('SELECT 1');
        const ended = new Promise<string>((resolve) => c.once('error', (error) => resolve(error.message)));
        await invoke({
          Action: 'revokePrevious',
          SecretId: fixture.secretId,
          Reason: 'leaked',
        } as unknown as RotationEventShape);
        return Promise.race([
          ended,
          new Promise<string>((resolve) => setTimeout(() => resolve('still open'), 2_000)),
        ]);
      },
      { database: APP_DATABASE },
    ).catch((error: unknown) => (error as Error).message);
    expect(open).toMatch(/terminat/);
    expect(lastAudit('revokePrevious')).toMatchObject({ sessionsTerminated: 1, sessionsNotTerminated: 0 });
    expect(await login(previous)).toBe(false);
    expect(await login(current)).toBe(true);
    // The next rotation gives the revoked user a known password again.
    const [next] = await rotate(fixture);
    expect(next.username).toBe(previous.username);
    expect(await login(next)).toBe(true);
  });

  it('refuses a base name too long for "_clone" at createSecret, before anything changes', async () => {
    const username = `a${'b'.repeat(57)}`;
    const fixture = await alternating({ username });
    const token = await driver.startRotation(fixture.secretId);
    const failure = (await driver
      .runSteps(fixture.secretId, token, invoke)
      .catch((e: unknown) => e)) as RotationFailedError;
    expect(failure.step).toBe('createSecret');
    expect((failure.lastError as LambdaInvokeError).errorType).toBe('SecretFormatError');
    expect((failure.lastError as Error).message).toContain('at most 57 bytes');
    expect(await secrets.valueAt(fixture.secretId, 'AWSPENDING')).toBeUndefined();
    expect(await login(fixture.initial)).toBe(true);
  });

  it('refuses to use the admin credential on a superuser role', async () => {
    const fixture = await alternating();
    await cluster.query(`ALTER ROLE ${fixture.username} SUPERUSER`);
    const token = await driver.startRotation(fixture.secretId);
    const failure = (await driver
      .runSteps(fixture.secretId, token, invoke)
      .catch((e: unknown) => e)) as RotationFailedError;
    expect(failure.step).toBe('setSecret');
    expect((failure.lastError as LambdaInvokeError).errorType).toBe('RoleStateError');
    expect((failure.lastError as Error).message).toContain('is a superuser');
    expect(
      await cluster.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [`${fixture.username}_clone`]),
    ).toEqual([]);
  });

  it('fails with PermissionDeniedError when the master may not create roles', async () => {
    const fixture = await alternating();
    const weak = { username: uniqueRoleName('weak_admin'), password: 'weak-admin-Pass-1' };
    ledger.add(weak.password);
    await cluster.query(
      `CREATE ROLE ${weak.username} LOGIN PASSWORD '${scramSha256Verifier(weak.password)}'`,
    );
    const master = await secrets.create(secrets.uniqueName('postgres', 'master'), {
      ...weak,
      host: cluster.host,
      port: cluster.port,
      ssl: false,
    });
    const secretId = await secrets.create(secrets.uniqueName('postgres', 'password'), {
      ...fixture.initial,
      masterarn: master,
    });
    const token = await driver.startRotation(secretId);
    const failure = (await driver
      .runSteps(secretId, token, invoke)
      .catch((e: unknown) => e)) as RotationFailedError;
    expect((failure.lastError as LambdaInvokeError).errorType).toBe('PermissionDeniedError');
    expect((failure.lastError as Error).message).toBe(
      `the master user "${weak.username}" is not allowed to set the password of role "${fixture.username}_clone"`,
    );
    expect(lastAudit('setSecret')).toMatchObject({ outcome: 'failed', retryable: false });
  });

  it('refuses a master secret for another host, naming both', async () => {
    const fixture = await alternating();
    const master = await secrets.create(secrets.uniqueName('postgres', 'master'), {
      username: fixture.admin.username,
      password: fixture.admin.password,
      host: 'other-db.example.internal',
    });
    const secretId = await secrets.create(secrets.uniqueName('postgres', 'password'), {
      ...fixture.initial,
      masterarn: master,
    });
    const token = await driver.startRotation(secretId);
    const failure = (await driver
      .runSteps(secretId, token, invoke)
      .catch((e: unknown) => e)) as RotationFailedError;
    expect((failure.lastError as LambdaInvokeError).errorType).toBe('AdminHostMismatchError');
    expect((failure.lastError as Error).message).toContain(
      `is for other-db.example.internal:5432, but the application secret is for 127.0.0.1:${cluster.port}; refused to send the master credential there`,
    );
  });

  it('sent no password to the server in plaintext, and wrote none to the function output', async () => {
    const log = cluster.readLog();
    expect(log).toMatch(/CREATE ROLE .* PASSWORD 'SCRAM-SHA-256\$4096:/);
    expectNoSecretsIn(log, ledger.values(), 'the PostgreSQL server log');
    const verifiers = await cluster.query<{ rolpassword: string }>(
      "SELECT rolpassword FROM pg_authid WHERE rolpassword LIKE 'SCRAM-SHA-256$%'",
    );
    expectNoSecretsIn(
      lambda.output(),
      [...ledger.values(), ...verifiers.map((r) => r.rolpassword)],
      'the function output',
    );
  });
});
