import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUNCTUATION } from '../../../shared/credentials/password';
import { LambdaInvokeError, LocalLambda } from '../../../dev/aws/local-lambda';
import { canLogin, type PostgresCluster, startPostgres } from '../../../dev/targets/postgres/cluster';
import {
  APP_DATABASE,
  createPostgresFixture,
  postgresFunctionEnv,
  type PostgresSecretValue,
  resetPassword,
} from '../../../dev/targets/postgres/fixture';
import {
  type RotationEventShape,
  RotationDriver,
  RotationFailedError,
} from '../../../dev/aws/rotation-driver';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import { expectNoSecretsIn, SecretLedger } from './secret-ledger';

/**
 * Single-user rotation through the built bundle against moto and a real PostgreSQL with
 * scram-sha-256 and log_statement = 'all'.
 */
const secrets = new SecretsAdmin();
const driver = new RotationDriver({ attemptsPerStep: 1 });
const ledger = new SecretLedger();

let cluster: PostgresCluster;
let lambda: LocalLambda;
let punctuationLambda: LocalLambda;

const invoke = (event: RotationEventShape) => lambda.invoke(event);
const login = (value: PostgresSecretValue | undefined) =>
  canLogin(cluster, { username: value?.username ?? '', password: value?.password ?? '' }, APP_DATABASE);

async function valueAt(secretId: string, stage: string): Promise<PostgresSecretValue> {
  const value = await secrets.valueAt<PostgresSecretValue>(secretId, stage);
  if (!value) throw new Error(`no ${stage} value`);
  ledger.add(value.password);
  return value;
}

beforeAll(async () => {
  cluster = await startPostgres({ logStatements: true });
  lambda = await LocalLambda.start('postgres', { env: postgresFunctionEnv() });
  punctuationLambda = await LocalLambda.start('postgres', {
    env: postgresFunctionEnv({
      // Points nowhere: with ssl:false secrets the bundle must never be read (it loads lazily).
      PG_CA_BUNDLE: '/nonexistent/ca-bundle.pem',
      EXCLUDE_CHARACTERS: '',
      EXCLUDE_LOWERCASE: 'true',
      EXCLUDE_UPPERCASE: 'true',
      EXCLUDE_NUMBERS: 'true',
      // 1024 draws from 32 characters: the chance one is missing is about 1e-13.
      PASSWORD_LENGTH: '1024',
    }),
  });
});

afterAll(async () => {
  await lambda?.stop();
  await punctuationLambda?.stop();
  await cluster?.stop();
});

describe('single-user PostgreSQL rotation', () => {
  it('rotates three times in a row: only the newest password logs in, AWSPREVIOUS holds the one before, unknown keys survive', async () => {
    const fixture = await createPostgresFixture(cluster, secrets, {
      strategy: 'single-user',
      extra: { dbInstanceIdentifier: 'crm-prod', proxyname: 'crm-proxy' },
    });
    ledger.add(fixture.initial.password);
    const seen = [fixture.initial];
    for (let i = 0; i < 3; i++) {
      await driver.rotate(fixture.secretId, invoke);
      const current = await valueAt(fixture.secretId, 'AWSCURRENT');
      expect(await valueAt(fixture.secretId, 'AWSPREVIOUS')).toEqual(seen.at(-1));
      seen.push(current);
    }
    expect(new Set(seen.map((s) => s.password)).size).toBe(4);
    expect(await Promise.all(seen.map(login))).toEqual([false, false, false, true]);
    const last = seen.at(-1);
    expect(last).toMatchObject({
      ...fixture.initial,
      password: last?.password,
      dbInstanceIdentifier: 'crm-prod',
      proxyname: 'crm-proxy',
    });
    expect(last?.password).toHaveLength(32);
  });

  it('ends in the same state when every step runs twice', async () => {
    const fixture = await createPostgresFixture(cluster, secrets, { strategy: 'single-user' });
    const token = await driver.rotate(fixture.secretId, async (event) => {
      await invoke(event);
      await invoke(event);
    });
    const stages = await secrets.stages(fixture.secretId);
    expect(stages[token]).toEqual(['AWSCURRENT']);
    expect(Object.values(stages).flat().sort()).toEqual(['AWSCURRENT', 'AWSPREVIOUS']);
    expect(await login(await valueAt(fixture.secretId, 'AWSCURRENT'))).toBe(true);
    expect(await login(fixture.initial)).toBe(false);
  });

  it('resumes a rotation that crashed after setSecret: the pending password (already set) is kept and promoted', async () => {
    const fixture = await createPostgresFixture(cluster, secrets, { strategy: 'single-user' });
    const token = await driver.startRotation(fixture.secretId);
    await driver.runSteps(fixture.secretId, token, invoke, ['createSecret', 'setSecret']);
    const pending = await valueAt(fixture.secretId, 'AWSPENDING');
    // The database already has the pending password; AWSCURRENT still holds the old one.
    expect(await login(pending)).toBe(true);
    expect(await valueAt(fixture.secretId, 'AWSCURRENT')).toEqual(fixture.initial);

    await driver.runSteps(fixture.secretId, token, invoke);
    expect(await valueAt(fixture.secretId, 'AWSCURRENT')).toEqual(pending);
    expect(await login(pending)).toBe(true);
  });

  it('logs in with AWSPREVIOUS when the database went back to it (AWSCURRENT rejected)', async () => {
    const fixture = await createPostgresFixture(cluster, secrets, { strategy: 'single-user' });
    await driver.rotate(fixture.secretId, invoke);
    // A restore from a backup taken before the last rotation: the database has the previous password.
    await resetPassword(cluster, fixture.username, fixture.initial.password);
    expect(await login(await valueAt(fixture.secretId, 'AWSCURRENT'))).toBe(false);

    await driver.rotate(fixture.secretId, invoke);
    const audit = lambda
      .jsonLines()
      .filter((line) => (line.audit as { step?: string })?.step === 'setSecret');
    expect(audit.at(-1)?.audit).toMatchObject({ loggedInWith: 'AWSPREVIOUS', passwordChanged: true });
    expect(await login(await valueAt(fixture.secretId, 'AWSCURRENT'))).toBe(true);
    expect(await login(fixture.initial)).toBe(false);
  });

  it('fails clearly when no password in the secret works, and leaves AWSCURRENT where it was', async () => {
    const fixture = await createPostgresFixture(cluster, secrets, { strategy: 'single-user' });
    const currentBefore = await secrets.versionAt(fixture.secretId, 'AWSCURRENT');
    await resetPassword(cluster, fixture.username, 'changed-by-someone-else-Q7');
    ledger.add('changed-by-someone-else-Q7');

    const token = await driver.startRotation(fixture.secretId);
    const failure = await driver.runSteps(fixture.secretId, token, invoke).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RotationFailedError);
    const { step, lastError } = failure as RotationFailedError;
    expect(step).toBe('setSecret');
    expect(lastError).toBeInstanceOf(LambdaInvokeError);
    expect((lastError as LambdaInvokeError).errorType).toBe('PasswordRejectedError');
    expect((lastError as Error).message).toBe(
      `none of the passwords of role "${fixture.username}" in AWSPENDING, AWSCURRENT is accepted at 127.0.0.1:${cluster.port}/appdb`,
    );
    expect(await secrets.versionAt(fixture.secretId, 'AWSCURRENT')).toBe(currentBefore);
    expect((await secrets.stages(fixture.secretId))[token]).toEqual(['AWSPENDING']);
    await valueAt(fixture.secretId, 'AWSPENDING');
  });

  it('quotes a role name with capitals, a hyphen and quote characters, and sets passwords made of every punctuation character', async () => {
    const username = `Crm-App "Ops" O'Brien ${Date.now() % 1000}`;
    const fixture = await createPostgresFixture(cluster, secrets, {
      strategy: 'single-user',
      username,
      password: `All${PUNCTUATION}punct1`,
    });
    ledger.add(fixture.initial.password);
    for (let i = 0; i < 2; i++) {
      await driver.rotate(fixture.secretId, (event) => punctuationLambda.invoke(event));
      const current = await valueAt(fixture.secretId, 'AWSCURRENT');
      expect(current.username).toBe(username);
      expect([...PUNCTUATION].filter((c) => !current.password.includes(c))).toEqual([]);
      expect(await login(current)).toBe(true);
    }
    expect(await login(fixture.initial)).toBe(false);
  });

  it('revokePrevious confirms the previous password is already rejected, and says so', async () => {
    const fixture = await createPostgresFixture(cluster, secrets, { strategy: 'single-user' });
    await driver.rotate(fixture.secretId, invoke);
    const report = await invoke({
      Action: 'revokePrevious',
      SecretId: fixture.secretId,
      Reason: 'test',
    } as unknown as RotationEventShape);
    expect(report).toMatchObject({ outcome: 'succeeded' });
    const audit = lambda
      .jsonLines()
      .filter((line) => (line.audit as { step?: string })?.step === 'revokePrevious');
    expect(audit.at(-1)?.audit).toMatchObject({ previousAlreadyRejected: true, strategy: 'single-user' });
    expect(await login(await valueAt(fixture.secretId, 'AWSCURRENT'))).toBe(true);
  });

  it('revokePrevious puts AWSCURRENT back when the server accepts the previous password again', async () => {
    const fixture = await createPostgresFixture(cluster, secrets, { strategy: 'single-user' });
    await driver.rotate(fixture.secretId, invoke);
    await resetPassword(cluster, fixture.username, fixture.initial.password);
    await invoke({
      Action: 'revokePrevious',
      SecretId: fixture.secretId,
      Reason: 'leak',
    } as unknown as RotationEventShape);
    const audit = lambda
      .jsonLines()
      .filter((line) => (line.audit as { step?: string })?.step === 'revokePrevious');
    expect(audit.at(-1)?.audit).toMatchObject({
      previousAlreadyRejected: false,
      passwordReset: 'AWSCURRENT',
    });
    expect(await login(fixture.initial)).toBe(false);
    expect(await login(await valueAt(fixture.secretId, 'AWSCURRENT'))).toBe(true);
  });

  it('refuses a secret that lacks `host`, naming the key, and touches nothing', async () => {
    const fixture = await createPostgresFixture(cluster, secrets, { strategy: 'single-user' });
    const broken = await secrets.create(secrets.uniqueName('postgres', 'broken'), {
      ...fixture.initial,
      host: undefined,
      port: 'not-a-port',
    });
    const token = await driver.startRotation(broken);
    const failure = await driver.runSteps(broken, token, invoke).catch((error: unknown) => error);
    const lastError = (failure as RotationFailedError).lastError as LambdaInvokeError;
    expect(lastError.errorType).toBe('SecretFormatError');
    expect(lastError.message).toContain('`host` is required');
    expect(lastError.message).toContain('`port` must be an integer between 1 and 65535');
    expect(await login(fixture.initial)).toBe(true);
  });

  it('never falls back to plaintext: a secret without `ssl` fails against a server without TLS', async () => {
    const fixture = await createPostgresFixture(cluster, secrets, { strategy: 'single-user' });
    const tlsRequired = await secrets.create(secrets.uniqueName('postgres', 'tls'), {
      ...fixture.initial,
      ssl: undefined,
    });
    const token = await driver.startRotation(tlsRequired);
    const failure = await driver.runSteps(tlsRequired, token, invoke).catch((error: unknown) => error);
    const lastError = (failure as RotationFailedError).lastError as LambdaInvokeError;
    expect(lastError.errorType).toBe('TlsUnavailableError');
    expect(lastError.message).toBe(
      `127.0.0.1:${cluster.port}/appdb does not offer TLS, and the secret requires it (ssl absent or true)`,
    );
    expect(await login(fixture.initial)).toBe(true);
  });

  it('sent no password to the server in plaintext: the statement log holds only SCRAM verifiers', () => {
    const log = cluster.readLog();
    expect(log).toMatch(/ALTER ROLE .* WITH PASSWORD 'SCRAM-SHA-256\$4096:/);
    expectNoSecretsIn(log, ledger.values(), 'the PostgreSQL server log');
  });

  it('wrote no password or verifier to the function output', async () => {
    const verifiers = await cluster.query<{ rolpassword: string }>(
      "SELECT rolpassword FROM pg_authid WHERE rolpassword LIKE 'SCRAM-SHA-256$%'",
    );
    expect(lambda.jsonLines().length).toBeGreaterThan(20);
    const output = lambda.output() + punctuationLambda.output();
    expectNoSecretsIn(
      output,
      [...ledger.values(), ...verifiers.map((row) => row.rolpassword)],
      'the function output',
    );
  });
});
