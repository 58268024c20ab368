import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRotatingIoredis } from '../../../packages/consumer/src/redis/ioredis';
import { createRotatingRedisClient } from '../../../packages/consumer/src/redis/node-redis';
import type { RetryEvent } from '../../../packages/consumer/src/retry';
import { SecretCache } from '../../../packages/consumer/src/secret-cache';
import { LocalLambda } from '../../../dev/aws/local-lambda';
import { RotationDriver } from '../../../dev/aws/rotation-driver';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import { type RedisRotationFixture, startRedisRotationFixture } from '../../../dev/targets/redis/fixture';

/**
 * The Redis helpers against a real redis-server with ACL users while the built redis function
 * rotates (two passwords per user) and revokes (the old one removed). A killed connection makes the
 * client reconnect: with the login AWSCURRENT holds then, or, when its cache is stale after a
 * revoke, after one WRONGPASS that re-reads the secret.
 */
const admin = new SecretsAdmin();
const driver = new RotationDriver({ attemptsPerStep: 1 });
let lambda: LocalLambda;
const fixtures: RedisRotationFixture[] = [];
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  lambda = await LocalLambda.start('redis');
});

afterAll(async () => {
  await Promise.all(closers.map((close) => close().catch(() => undefined)));
  await Promise.all(fixtures.map((f) => f.stop()));
  await lambda?.stop();
});

const invoke = (event: object) => lambda.invoke(event);

async function fixture(): Promise<RedisRotationFixture> {
  const started = await startRedisRotationFixture({ secrets: admin });
  fixtures.push(started);
  return started;
}

/** What a failover or an idle timeout does: the server drops the user's connections. */
const dropConnections = (f: RedisRotationFixture) =>
  f.server.adminCall('CLIENT', 'KILL', 'USER', f.user.username);

async function rotateAndRevoke(f: RedisRotationFixture): Promise<void> {
  await driver.rotate(f.secretId, invoke);
  await invoke({ Action: 'revokePrevious', SecretId: f.secretId, Reason: 'test' });
}

async function ioredisFor(f: RedisRotationFixture, cache: SecretCache) {
  const retries: RetryEvent['reason'][] = [];
  const redis: Redis = await createRotatingIoredis({
    cache,
    secretId: f.secretId,
    onRetry: (event) => retries.push(event.reason),
    redisOptions: { retryStrategy: () => 20 },
  });
  redis.on('error', () => undefined);
  closers.push(() => redis.quit());
  return { redis, retries };
}

async function nodeRedisFor(f: RedisRotationFixture, cache: SecretCache, reconnectDelayMs = 20) {
  const retries: RetryEvent['reason'][] = [];
  const client = await createRotatingRedisClient({
    cache,
    secretId: f.secretId,
    onRetry: (event) => retries.push(event.reason),
    clientOptions: { socket: { reconnectStrategy: () => reconnectDelayMs } },
  });
  closers.push(() => client.close());
  await client.connect();
  return { client, retries };
}

describe('ioredis through rotatingIoredisOptions', () => {
  it('a reconnect authenticates with the login AWSCURRENT holds at that moment', async () => {
    const f = await fixture();
    const cache = new SecretCache({ ttlMs: 60_000 });
    const { redis, retries } = await ioredisFor(f, cache);
    expect(await redis.set('app:k', 'v1')).toBe('OK');
    await rotateAndRevoke(f);
    cache.invalidate(f.secretId); // told the rotation finished: the next connection re-reads
    await dropConnections(f);
    expect(await redis.get('app:k')).toBe('v1');
    expect(retries).toEqual([]);
  });

  it('a stale login refused at reconnect (WRONGPASS) is re-read once; queued commands never see it', async () => {
    const f = await fixture();
    const { redis, retries } = await ioredisFor(f, new SecretCache({ ttlMs: 60_000 }));
    expect(await redis.set('app:k', 'v1')).toBe('OK');
    await rotateAndRevoke(f);
    await dropConnections(f);
    const answers = await Promise.all([redis.get('app:k'), redis.set('app:k', 'v2'), redis.get('app:k')]);
    expect(answers).toEqual(['v1', 'OK', 'v2']);
    expect(retries).toEqual(['wrongpass']);
  });

  it('a login refused even after the re-read is reported, and the client keeps reconnecting', async () => {
    const f = await fixture();
    const { redis } = await ioredisFor(f, new SecretCache({ ttlMs: 60_000 }));
    const errors: string[] = [];
    redis.on('error', (error: Error) => errors.push(error.message));
    await redis.ping();
    await f.server.adminCall('ACL', 'SETUSER', f.user.username, 'resetpass', '>not-in-the-secret');
    await dropConnections(f);
    await expect.poll(() => errors.length).toBeGreaterThan(0);
    expect(errors[0]).toMatch(/^Redis refused user app-\w+ of secret .* AWSCURRENT: WRONGPASS/);
    expect(errors.join('\n')).not.toContain(f.user.password);
    expect(redis.status).not.toBe('end');
  });
});

describe('node-redis through createRotatingRedisClient', () => {
  it('a reconnect authenticates with the login AWSCURRENT holds at that moment', async () => {
    const f = await fixture();
    const cache = new SecretCache({ ttlMs: 60_000 });
    const { client, retries } = await nodeRedisFor(f, cache);
    expect(await client.set('app:k', 'v1')).toBe('OK');
    await rotateAndRevoke(f);
    cache.invalidate(f.secretId);
    await dropConnections(f);
    expect(await client.get('app:k')).toBe('v1');
    expect(retries).toEqual([]);
  });

  it('commands refused NOAUTH behind a stale login are sent once more after the re-read', async () => {
    const f = await fixture();
    // The reconnect waits long enough for the commands below to queue behind its handshake, on a
    // loaded machine too (with 20 ms it sometimes logged in again before they were sent).
    const { client, retries } = await nodeRedisFor(f, new SecretCache({ ttlMs: 60_000 }), 500);
    expect(await client.set('app:k', 'v1')).toBe('OK');
    await rotateAndRevoke(f);
    await dropConnections(f);
    const answers = await Promise.all([client.get('app:k'), client.set('app:k', 'v2')]);
    expect(answers).toEqual(['v1', 'OK']);
    expect(await client.get('app:k')).toBe('v2');
    // Each command that was refused unrun went out once more (and the handshake, with the new login).
    expect(retries).toContain('noauth');
    expect(retries.filter((reason) => reason !== 'noauth' && reason !== 'wrongpass')).toEqual([]);
  });
});
