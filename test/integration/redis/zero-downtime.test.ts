import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalLambda } from '../../../dev/aws/local-lambda';
import { SecretCache } from '../../../packages/consumer/src/secret-cache';
import {
  type RedisRotationFixture,
  type RedisSecretValue,
  startRedisRotationFixture,
} from '../../../dev/targets/redis/fixture';
import { RotationDriver } from '../../../dev/aws/rotation-driver';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';

/**
 * The point of the Redis strategy: a client that authenticates afresh, again and again, with its
 * cached copy of AWSCURRENT never fails while the secret rotates under it.
 */
const ROTATIONS = 20;
/** The client's cache TTL, and the gap between rotations: longer than the TTL, as in production
 * (rotations days apart, caches minutes), so no client can hold a value two rotations old. */
const TTL_MS = 100;
const GAP_MS = 350;

const secrets = new SecretsAdmin();
let fixture: RedisRotationFixture;
let lambda: LocalLambda;

beforeAll(async () => {
  fixture = await startRedisRotationFixture();
  lambda = await LocalLambda.start('redis');
});

afterAll(async () => {
  await lambda?.stop();
  await fixture?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('zero downtime', () => {
  it(`a client authenticating with its cached secret sees no failure across ${ROTATIONS} rotations`, async () => {
    const { server, secretId } = fixture;
    const cache = new SecretCache({ ttlMs: TTL_MS });
    const failures: string[] = [];
    const usedPasswords = new Set<string>();
    let successes = 0;
    let running = true;

    const client = (async () => {
      while (running) {
        const secret = await cache.getJSON<RedisSecretValue>(secretId);
        usedPasswords.add(secret.password);
        try {
          const connection = await server.connect(secret);
          try {
            await connection.set('app:heartbeat', String(successes));
            successes++;
          } finally {
            connection.disconnect();
          }
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
    })();

    const driver = new RotationDriver();
    const passwords = [fixture.user.password];
    const durations: number[] = [];
    try {
      for (let i = 0; i < ROTATIONS; i++) {
        const started = performance.now();
        await driver.rotate(secretId, (event) => lambda.invoke(event));
        durations.push(performance.now() - started);
        const current = await secrets.valueAt<RedisSecretValue>(secretId, 'AWSCURRENT');
        passwords.push(current?.password ?? '');
        await sleep(GAP_MS);
      }
    } finally {
      running = false;
      await client;
    }

    const average = durations.reduce((a, b) => a + b, 0) / durations.length;
    console.log(
      `redis zero downtime: ${successes} authentications, ${failures.length} failures, ` +
        `rotation wall time avg ${Math.round(average)} ms, max ${Math.round(Math.max(...durations))} ms`,
    );
    expect(failures).toEqual([]);
    // The loop really ran through every rotation, with every password the secret held.
    expect(new Set(passwords).size).toBe(ROTATIONS + 1);
    expect([...usedPasswords].sort()).toEqual([...passwords].sort());
    expect(successes).toBeGreaterThan(ROTATIONS * 10);

    // Afterwards: the password from two rotations ago fails; previous and current work.
    const [twoAgo, previous, current] = passwords.slice(-3).map((password) => ({
      username: fixture.user.username,
      password: password as string,
    }));
    expect(await server.accepts(twoAgo as RedisSecretValue)).toBe(false);
    expect(await server.accepts(previous as RedisSecretValue)).toBe(true);
    expect(await server.accepts(current as RedisSecretValue)).toBe(true);

    // None of the 21 passwords, nor the admin's, appears in anything the function printed.
    const output = lambda.output();
    for (const password of [...passwords, server.adminCreds.password]) expect(output).not.toContain(password);
  });
});
