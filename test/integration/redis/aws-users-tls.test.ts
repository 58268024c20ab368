import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalLambda } from '../../../dev/aws/local-lambda';
import { RotationDriver, RotationFailedError } from '../../../dev/aws/rotation-driver';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import {
  type CacheUserSecretValue,
  cacheUserSecretValue,
  createCacheUser,
} from '../../../dev/targets/cache-user-api/fixture';
import { type CacheUserApi, startCacheUserApi } from '../../../dev/targets/cache-user-api/server';
import { type RedisServer, startRedis } from '../../../dev/targets/redis/server';
import { createTestPki, type TestPki } from '../../../dev/targets/tls';

/**
 * testSecret proves an ElastiCache/MemoryDB user's pending password at the secret's endpoint over
 * TLS, by default and with the certificate verified, as ElastiCache serverless and MemoryDB require.
 */
const secrets = new SecretsAdmin();
let pki: TestPki;
let server: RedisServer;
let api: CacheUserApi;
let trusting: LocalLambda;
let untrusting: LocalLambda;

beforeAll(async () => {
  pki = createTestPki();
  server = await startRedis({ tls: pki });
  api = await startCacheUserApi({ servers: [server], modifyingMs: 60 });
  const env = { ...api.env(), REDIS_USER_POLL_MS: '100', REDIS_CONNECT_TIMEOUT_MS: '1000' };
  [trusting, untrusting] = await Promise.all([
    LocalLambda.start('redis', { env: { ...env, REDIS_CA_BUNDLE: pki.caCert } }),
    LocalLambda.start('redis', { env }),
  ]);
});

afterAll(async () => {
  await Promise.all([trusting?.stop(), untrusting?.stop()]);
  await api?.stop();
  await server?.stop();
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
});

/** A secret without `tls`: TLS is the default. */
async function secretFor(service: 'elasticache' | 'memorydb') {
  const user = await createCacheUser(api, service);
  const value: Partial<CacheUserSecretValue> = cacheUserSecretValue(user, { server });
  delete value.tls;
  return { user, secretId: await secrets.create(secrets.uniqueName('redis', `${service}_tls`), value) };
}

describe.each(['elasticache', 'memorydb'] as const)('%s user behind TLS', (service) => {
  it('proves the pending password by AUTH and PING over verified TLS, then promotes it', async () => {
    const { secretId } = await secretFor(service);
    await new RotationDriver().rotate(secretId, (event) => trusting.invoke(event));
    const current = await secrets.valueAt<CacheUserSecretValue>(secretId, 'AWSCURRENT');
    expect(current?.tls).toBeUndefined();
    expect(
      await server.accepts({ username: current?.username ?? '', password: current?.password ?? '' }),
    ).toBe(true);
    const proof = trusting
      .jsonLines()
      .map((line) => line.audit as Record<string, unknown> | undefined)
      .find((line) => line?.step === 'testSecret' && line.userArn === current?.user_arn);
    expect(proof?.proof).toBe(`AUTH and PING at ${server.address}`);
  });

  it('refuses a certificate it cannot verify and leaves AWSCURRENT where it was', async () => {
    const { secretId, user } = await secretFor(service);
    const error = await new RotationDriver({ attemptsPerStep: 1 })
      .rotate(secretId, (event) => untrusting.invoke(event))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RotationFailedError);
    expect((error as RotationFailedError).step).toBe('testSecret');
    expect(((error as RotationFailedError).lastError as Error).name).toBe('TlsVerificationError');
    expect((await secrets.valueAt<CacheUserSecretValue>(secretId, 'AWSCURRENT'))?.password).toBe(
      user.password,
    );
  });
});
