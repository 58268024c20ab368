import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LambdaInvokeError, LocalLambda } from '../../../dev/aws/local-lambda';
import { type RedisServer, sha256Hex, startRedis } from '../../../dev/targets/redis/server';
import {
  createAdminSecret,
  passwordsOf,
  createRedisUser,
  type RedisSecretValue,
  redisSecretValue,
} from '../../../dev/targets/redis/fixture';
import { RotationDriver, RotationFailedError } from '../../../dev/aws/rotation-driver';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import { createTestPki, type TestPki } from '../../../dev/targets/tls';

/**
 * TLS is the default and certificates are verified: against the CA in REDIS_CA_BUNDLE, never
 * "accept anything". `tls: false` is the only way to talk plain Redis.
 */
const secrets = new SecretsAdmin();
/** Every secret this file rotates: the final no-leak check reads all their passwords. */
const createdSecrets: string[] = [];

const driver = new RotationDriver();
const once = new RotationDriver({ attemptsPerStep: 1 });

let pki: TestPki;
let tlsServer: RedisServer;
let plainServer: RedisServer;
const lambdas: LocalLambda[] = [];
let trusting: LocalLambda;

beforeAll(async () => {
  pki = createTestPki();
  [tlsServer, plainServer] = await Promise.all([startRedis({ tls: pki }), startRedis()]);
  trusting = await start({ REDIS_CA_BUNDLE: pki.caCert, REDIS_CONNECT_TIMEOUT_MS: '1000' });
});

afterAll(async () => {
  await Promise.all(lambdas.map((lambda) => lambda.stop()));
  await Promise.all([tlsServer?.stop(), plainServer?.stop()]);
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
});

async function start(env: Record<string, string>): Promise<LocalLambda> {
  const lambda = await LocalLambda.start('redis', { env });
  lambdas.push(lambda);
  return lambda;
}

/** A user and its secret on `server`; `tls` left out of the secret unless given. */
async function secretOn(server: RedisServer, tls?: boolean) {
  const user = await createRedisUser([server]);
  const value: Partial<RedisSecretValue> = redisSecretValue(server, user, {
    adminarn: await createAdminSecret(secrets, server),
  });
  delete value.tls;
  const secretId = await secrets.create(secrets.uniqueName('redis', 'password'), {
    ...value,
    ...(tls === undefined ? {} : { tls }),
  });
  createdSecrets.push(secretId);
  return { secretId, user };
}

async function firstFailure(lambda: LocalLambda, secretId: string): Promise<LambdaInvokeError> {
  const token = await once.startRotation(secretId);
  const error = await once.runSteps(secretId, token, (e) => lambda.invoke(e)).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(RotationFailedError);
  expect((error as RotationFailedError).step).toBe('setSecret');
  return (error as RotationFailedError).lastError as LambdaInvokeError;
}

describe('TLS', () => {
  it('rotates over TLS by default, verifying the server against REDIS_CA_BUNDLE', async () => {
    const { secretId, user } = await secretOn(tlsServer);
    await driver.rotate(secretId, (e) => trusting.invoke(e));
    const current = (await secrets.valueAt<RedisSecretValue>(secretId, 'AWSCURRENT')) as RedisSecretValue;
    expect(current.tls).toBeUndefined();
    expect(await tlsServer.accepts(current)).toBe(true);
    expect(await tlsServer.passwordHashes(user.username)).toEqual(
      [sha256Hex(current.password), sha256Hex(user.password)].sort(),
    );
  });

  it('verifies the host name too: `localhost` is in the certificate', async () => {
    const { secretId } = await secretOn(tlsServer);
    const current = await secrets.valueAt<RedisSecretValue>(secretId, 'AWSCURRENT');
    // The admin password goes only to servers its own secret names: this one, by name.
    const adminByName = await createAdminSecret(secrets, { ...tlsServer, host: 'localhost' });
    const byName = await secrets.create(secrets.uniqueName('redis', 'password'), {
      ...current,
      host: 'localhost',
      adminarn: adminByName,
    });
    createdSecrets.push(byName);
    await driver.rotate(byName, (e) => trusting.invoke(e));
    expect(await tlsServer.accepts((await secrets.valueAt(byName, 'AWSCURRENT')) as RedisSecretValue)).toBe(
      true,
    );
  });

  it('refuses a server whose certificate another CA signed', async () => {
    const foreign = await start({ REDIS_CA_BUNDLE: pki.otherCaCert });
    const { secretId, user } = await secretOn(tlsServer);
    const error = await firstFailure(foreign, secretId);
    expect(error.errorType).toBe('TlsVerificationError');
    expect(error.message).toContain(
      `the TLS certificate of Redis node ${tlsServer.address} could not be verified`,
    );
    expect(await tlsServer.passwordHashes(user.username)).toEqual([sha256Hex(user.password)]);
  });

  it('refuses the test CA when no bundle is configured (default roots only)', async () => {
    const defaults = await start({});
    const { secretId } = await secretOn(tlsServer);
    expect((await firstFailure(defaults, secretId)).errorType).toBe('TlsVerificationError');
  });

  it('says so when `tls: false` meets a TLS-only port', async () => {
    const { secretId } = await secretOn(tlsServer, false);
    const error = await firstFailure(trusting, secretId);
    expect(error.errorType).toBe('TargetUnreachableError');
    expect(error.message).toContain(`Redis node ${tlsServer.address}`);
    expect(error.message).toContain('if the server requires TLS, `tls: false` is wrong');
  });

  it('says so when a TLS secret meets a plain port', async () => {
    const { secretId } = await secretOn(plainServer);
    const error = await firstFailure(trusting, secretId);
    expect(error.errorType).toBe('TargetUnreachableError');
    expect(error.message).toContain(
      `Redis node ${plainServer.address} did not complete the TLS handshake within 1000 ms`,
    );
  });

  it('never prints a password of any secret used here (checked last)', async () => {
    const passwords = await passwordsOf(secrets, createdSecrets);
    expect(passwords.length).toBeGreaterThan(5);
    const output = lambdas.map((lambda) => lambda.output()).join('\n');
    for (const password of [...passwords, ...[tlsServer, plainServer].map((s) => s.adminCreds.password)]) {
      expect(output).not.toContain(password);
    }
  });
});
