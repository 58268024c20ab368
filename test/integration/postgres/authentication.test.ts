import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LambdaInvokeError, LocalLambda } from '../../../dev/aws/local-lambda';
import {
  RotationDriver,
  type RotationEventShape,
  RotationFailedError,
} from '../../../dev/aws/rotation-driver';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import {
  type AuthChallenge,
  type AuthChallengeServer,
  startAuthChallengeServer,
} from '../../../dev/targets/postgres/auth-challenge-server';
import { canLogin, type PostgresCluster, startPostgres } from '../../../dev/targets/postgres/cluster';
import {
  APP_DATABASE,
  createPostgresFixture,
  postgresFunctionEnv,
  type PostgresSecretValue,
  uniqueRoleName,
} from '../../../dev/targets/postgres/fixture';

/**
 * What the built postgres bundle answers to a server that asks for anything but SCRAM, and where
 * it sends the master credential. Fake servers on loopback record every message the function sends
 * after their challenge: a refused challenge must get no password message at all (not even an MD5
 * hash, from which a password can be guessed offline). Every refusal is non-retryable and leaves
 * AWSCURRENT where it was.
 */
const secrets = new SecretsAdmin();
const driver = new RotationDriver({ attemptsPerStep: 1 });

let cluster: PostgresCluster;
let lambda: LocalLambda;
let trustingLambda: LocalLambda;
const MD5_ROLE = uniqueRoleName('md5_only');
const MD5_PASSWORD = 'md5-stored-Password-1';

const invoke = (event: RotationEventShape) => lambda.invoke(event);
const lastAudit = (step: string) =>
  lambda
    .jsonLines()
    .filter((line) => (line.audit as { step?: string } | undefined)?.step === step)
    .at(-1)?.audit as Record<string, unknown> | undefined;

beforeAll(async () => {
  cluster = await startPostgres({ hbaRules: [`host all ${MD5_ROLE} 127.0.0.1/32 md5`] });
  lambda = await LocalLambda.start('postgres', { env: postgresFunctionEnv() });
  trustingLambda = await LocalLambda.start('postgres', {
    env: postgresFunctionEnv({ ALLOW_ADMIN_SECRET_WITHOUT_HOST: 'true' }),
  });
  // A role whose stored password predates SCRAM: pg_hba's md5 then really asks for an MD5 hash.
  const md5 = createHash('md5').update(`${MD5_PASSWORD}${MD5_ROLE}`).digest('hex');
  await cluster.query(`CREATE ROLE ${MD5_ROLE} LOGIN PASSWORD 'md5${md5}'`);
});

afterAll(async () => {
  await lambda?.stop();
  await trustingLambda?.stop();
  await cluster?.stop();
});

/** Rotate until the first failure; return the failed step's error and the secret's stages after it. */
async function failedRotation(
  secretId: string,
  via: (event: RotationEventShape) => Promise<unknown> = invoke,
) {
  const before = await secrets.valueAt<PostgresSecretValue>(secretId, 'AWSCURRENT');
  const token = await driver.startRotation(secretId);
  const failure = await driver.runSteps(secretId, token, via).then(
    () => {
      throw new Error('expected the rotation to fail');
    },
    (error: unknown) => error as RotationFailedError,
  );
  expect(failure).toBeInstanceOf(RotationFailedError);
  expect(await secrets.valueAt<PostgresSecretValue>(secretId, 'AWSCURRENT')).toEqual(before);
  return { step: failure.step, error: failure.lastError as LambdaInvokeError };
}

function appSecret(server: { host: string; port: number }, extra: Record<string, unknown> = {}) {
  return {
    engine: 'postgres',
    host: server.host,
    port: server.port,
    username: 'app',
    password: 'app-current-Password-1',
    dbname: APP_DATABASE,
    ssl: false,
    ...extra,
  };
}

describe('a server that asks for anything but SCRAM-SHA-256', () => {
  const refusals: [AuthChallenge, string, RegExp][] = [
    ['md5', 'Md5PasswordRefusedError', /for an MD5 password hash; refused/],
    ['cleartext', 'CleartextPasswordRefusedError', /in clear text; refused/],
    ['gss', 'UnsupportedAuthenticationError', /for GSSAPI; refused/],
    ['sspi', 'UnsupportedAuthenticationError', /for SSPI; refused/],
    ['sasl-unknown', 'UnsupportedAuthenticationError', /for SASL with X-UNKNOWN; refused/],
  ];

  it.each(refusals)('%s: single user, no password message, %s', async (kind, errorType, message) => {
    const server: AuthChallengeServer = await startAuthChallengeServer(kind);
    try {
      const secretId = await secrets.create(
        secrets.uniqueName('postgres', `auth-${kind}`),
        appSecret(server),
      );
      const { step, error } = await failedRotation(secretId);
      expect(step).toBe('setSecret');
      expect(error.errorType).toBe(errorType);
      expect(error.message).toMatch(message);
      expect(server.connections.length).toBeGreaterThan(0);
      expect(server.receivedPassword()).toBe(false);
      expect(lastAudit(step)).toMatchObject({ outcome: 'failed', retryable: false, errorClass: errorType });
      expect(lambda.output()).not.toContain('app-current-Password-1');
    } finally {
      await server.stop();
    }
  });

  it('md5 with alternating users: neither the application nor the master credential answers', async () => {
    const server = await startAuthChallengeServer('md5');
    try {
      const master = await secrets.create(secrets.uniqueName('postgres', 'master'), {
        ...appSecret(server),
        username: 'admin',
        password: 'master-Password-1',
      });
      const secretId = await secrets.create(
        secrets.uniqueName('postgres', 'password'),
        appSecret(server, { masterarn: master }),
      );
      const { step, error } = await failedRotation(secretId);
      expect(step).toBe('setSecret');
      expect(error.errorType).toBe('Md5PasswordRefusedError');
      expect(error.message).toContain(
        'the server asked role "admin" (the master secret) for an MD5 password hash',
      );
      expect(server.connections.map((c) => c.user)).toEqual(['admin']);
      expect(server.receivedPassword()).toBe(false);
    } finally {
      await server.stop();
    }
  });

  it('md5 is answered for a secret that opts in with "allow_md5_password": true, and only then', async () => {
    const value = {
      ...appSecret(cluster, { username: MD5_ROLE, password: MD5_PASSWORD }),
      dbname: 'postgres',
    };
    const refused = await secrets.create(secrets.uniqueName('postgres', 'md5-refused'), value);
    const { error } = await failedRotation(refused);
    expect(error.errorType).toBe('Md5PasswordRefusedError');
    expect(lastAudit('setSecret')).toMatchObject({ outcome: 'failed', retryable: false });
    expect(await canLogin(cluster, { username: MD5_ROLE, password: MD5_PASSWORD }, 'postgres')).toBe(true);

    const optedIn = await secrets.create(secrets.uniqueName('postgres', 'md5-allowed'), {
      ...value,
      allow_md5_password: true,
    });
    await driver.rotate(optedIn, invoke);
    const current = await secrets.valueAt<PostgresSecretValue & { allow_md5_password: boolean }>(
      optedIn,
      'AWSCURRENT',
    );
    expect(current?.allow_md5_password).toBe(true);
    const rotatedLogin = { username: MD5_ROLE, password: current?.password ?? '' };
    expect(await canLogin(cluster, rotatedLogin, 'postgres')).toBe(true);
  });
});

describe('the master credential goes only to the host its own secret names', () => {
  it('a tampered application secret pointing at another server: refused before any connection', async () => {
    const fixture = await createPostgresFixture(cluster, secrets, { strategy: 'alternating-users' });
    const server = await startAuthChallengeServer('md5');
    try {
      const current = await secrets.valueAt<PostgresSecretValue>(fixture.secretId, 'AWSCURRENT');
      // Whoever may PutSecretValue points the application secret at their own server.
      await secrets.put(fixture.secretId, { ...current, host: server.host, port: server.port });
      const { step, error } = await failedRotation(fixture.secretId);
      expect(step).toBe('setSecret');
      expect(error.errorType).toBe('AdminHostMismatchError');
      expect(error.message).toContain(
        `is for ${cluster.host}:${cluster.port}, but the application secret is for ${server.host}:${server.port}; refused to send the master credential there`,
      );
      expect(server.connections).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  it('a master secret without host: refused by default, trusted only where the deployment opts in', async () => {
    const fixture = await createPostgresFixture(cluster, secrets, { strategy: 'alternating-users' });
    const master = await secrets.create(secrets.uniqueName('postgres', 'rds-managed-master'), {
      username: fixture.admin.username,
      password: fixture.admin.password,
      ssl: false,
    });
    const current = await secrets.valueAt<PostgresSecretValue>(fixture.secretId, 'AWSCURRENT');
    await secrets.put(fixture.secretId, { ...current, masterarn: master });

    const { error } = await failedRotation(fixture.secretId);
    expect(error.errorType).toBe('AdminHostMismatchError');
    expect(error.message).toContain(`the master secret ${master} names no host`);
    expect(error.message).not.toContain(fixture.admin.password);

    await driver.rotate(fixture.secretId, (event) => trustingLambda.invoke(event));
    const rotated = await secrets.valueAt<PostgresSecretValue>(fixture.secretId, 'AWSCURRENT');
    expect(rotated?.username).toBe(`${fixture.username}_clone`);
  });
});
