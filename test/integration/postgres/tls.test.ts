import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LambdaInvokeError } from '../../../dev/aws/local-lambda';
import { LocalLambda } from '../../../dev/aws/local-lambda';
import { canLogin, type PostgresCluster, startPostgres } from '../../../dev/targets/postgres/cluster';
import {
  APP_DATABASE,
  createPostgresFixture,
  postgresFunctionEnv,
  type PostgresSecretValue,
  type Strategy,
} from '../../../dev/targets/postgres/fixture';
import { type InvokeStep, RotationDriver, RotationFailedError } from '../../../dev/aws/rotation-driver';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import { createTestPki, type TestPki } from '../../../dev/targets/tls';

/**
 * A cluster that serves TLS with a certificate from a CA the test makes, and refuses every
 * non-TLS connection (hostnossl ... reject): a rotation that succeeds here ran entirely over TLS,
 * and one that fell back to plaintext would be refused.
 */
const secrets = new SecretsAdmin();
const driver = new RotationDriver({ attemptsPerStep: 1 });

let pki: TestPki;
let cluster: PostgresCluster;
const lambdas: LocalLambda[] = [];

async function startLambda(env: Record<string, string>): Promise<InvokeStep> {
  const lambda = await LocalLambda.start('postgres', { env: postgresFunctionEnv(env) });
  lambdas.push(lambda);
  return (event) => lambda.invoke(event);
}

const login = (value: PostgresSecretValue | undefined) =>
  canLogin(cluster, { username: value?.username ?? '', password: value?.password ?? '' }, APP_DATABASE);

async function rotationFailure(secretId: string, invoke: InvokeStep): Promise<LambdaInvokeError> {
  const token = await driver.startRotation(secretId);
  const failure = await driver.runSteps(secretId, token, invoke).catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(RotationFailedError);
  return (failure as RotationFailedError).lastError as LambdaInvokeError;
}

beforeAll(async () => {
  pki = createTestPki();
  cluster = await startPostgres({ tls: pki, hbaRules: ['hostnossl all all 127.0.0.1/32 reject'] });
});

afterAll(async () => {
  await Promise.all(lambdas.map((lambda) => lambda.stop()));
  await cluster?.stop();
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
});

describe('PostgreSQL rotation over verified TLS', () => {
  it.each<Strategy>(['single-user', 'alternating-users'])(
    'rotates %s twice with PG_CA_BUNDLE set to the CA that signed the server certificate',
    async (strategy) => {
      const invoke = await startLambda({ PG_CA_BUNDLE: pki.caCert });
      const fixture = await createPostgresFixture(cluster, secrets, { strategy });
      expect(fixture.initial.ssl).toBeUndefined();
      for (let i = 0; i < 2; i++) await driver.rotate(fixture.secretId, invoke);
      expect(await login(await secrets.valueAt<PostgresSecretValue>(fixture.secretId, 'AWSCURRENT'))).toBe(
        true,
      );
    },
  );

  it('trusts NODE_EXTRA_CA_CERTS through the default trust store when PG_CA_BUNDLE is unset', async () => {
    const invoke = await startLambda({ NODE_EXTRA_CA_CERTS: pki.caCert });
    const fixture = await createPostgresFixture(cluster, secrets, { strategy: 'single-user' });
    await driver.rotate(fixture.secretId, invoke);
    expect(await login(fixture.initial)).toBe(false);
  });

  it('fails with TlsVerificationError when the trusted CA did not sign the certificate, and changes nothing', async () => {
    const invoke = await startLambda({ PG_CA_BUNDLE: pki.otherCaCert });
    const fixture = await createPostgresFixture(cluster, secrets, { strategy: 'alternating-users' });
    const currentBefore = await secrets.versionAt(fixture.secretId, 'AWSCURRENT');
    const error = await rotationFailure(fixture.secretId, invoke);
    expect(error.errorType).toBe('TlsVerificationError');
    expect(error.message).toMatch(
      new RegExp(
        `^the TLS certificate of 127\\.0\\.0\\.1:${cluster.port}/appdb could not be verified \\(\\w+\\)$`,
      ),
    );
    expect(await secrets.versionAt(fixture.secretId, 'AWSCURRENT')).toBe(currentBefore);
    expect(
      await cluster.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [`${fixture.username}_clone`]),
    ).toEqual([]);
  });

  it("fails with TlsVerificationError when Node's trust store lacks the CA", async () => {
    const invoke = await startLambda({ NODE_EXTRA_CA_CERTS: pki.otherCaCert });
    const fixture = await createPostgresFixture(cluster, secrets, { strategy: 'single-user' });
    expect((await rotationFailure(fixture.secretId, invoke)).errorType).toBe('TlsVerificationError');
    expect(await login(fixture.initial)).toBe(true);
  });

  it('fails with ConfigurationError naming PG_CA_BUNDLE when the file cannot be read', async () => {
    const invoke = await startLambda({ PG_CA_BUNDLE: `${pki.dir}/missing.pem` });
    const fixture = await createPostgresFixture(cluster, secrets, { strategy: 'single-user' });
    const error = await rotationFailure(fixture.secretId, invoke);
    expect(error.errorType).toBe('ConfigurationError');
    expect(error.message).toBe(`PG_CA_BUNDLE is ${pki.dir}/missing.pem, which cannot be read (ENOENT)`);
  });
});
