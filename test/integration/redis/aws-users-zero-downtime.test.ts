import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalLambda } from '../../../dev/aws/local-lambda';
import { RotationDriver } from '../../../dev/aws/rotation-driver';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import type { Service } from '../../../dev/targets/cache-user-api/directory';
import {
  type CacheUserSecretValue,
  cacheUserSecretValue,
  createCacheUser,
} from '../../../dev/targets/cache-user-api/fixture';
import { type CacheUserApi, startCacheUserApi } from '../../../dev/targets/cache-user-api/server';
import { type RedisServer, startRedis } from '../../../dev/targets/redis/server';

/**
 * The point of two passwords per user: a client that authenticates afresh, again and again, with
 * its cached copy of AWSCURRENT never fails while the user's passwords change under it, and while
 * the user is `modifying` (the new password not yet on the server).
 */
const ROTATIONS = 20;
/** The client's cache TTL; rotations are further apart, as in production (days apart, caches minutes). */
const TTL_MS = 100;
const GAP_MS = 150;

const secrets = new SecretsAdmin();
let server: RedisServer;
let api: CacheUserApi;
let lambda: LocalLambda;

beforeAll(async () => {
  server = await startRedis();
  api = await startCacheUserApi({ servers: [server], modifyingMs: 60 });
  lambda = await LocalLambda.start('redis', { env: { ...api.env(), REDIS_USER_POLL_MS: '100' } });
});

afterAll(async () => {
  await lambda?.stop();
  await api?.stop();
  await server?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Both services at once (one secret each, one warm function container): half the wall time.
describe('zero downtime', () => {
  it.concurrent.each(['elasticache', 'memorydb'] as const)(
    `%s user: a client authenticating with its cached secret sees no failure across ${ROTATIONS} rotations`,
    async (service: Service) => {
      const user = await createCacheUser(api, service);
      const secretId = await secrets.create(
        secrets.uniqueName('redis', `${service}_zero_downtime`),
        cacheUserSecretValue(user, { server }),
      );
      // A consumer's cache of AWSCURRENT, re-read when older than the TTL.
      let cached = {
        value: await secrets.valueAt<CacheUserSecretValue>(secretId, 'AWSCURRENT'),
        at: Date.now(),
      };
      const currentSecret = async () => {
        if (Date.now() - cached.at > TTL_MS) {
          cached = {
            value: await secrets.valueAt<CacheUserSecretValue>(secretId, 'AWSCURRENT'),
            at: Date.now(),
          };
        }
        return cached.value as CacheUserSecretValue;
      };
      const failures: string[] = [];
      const usedPasswords = new Set<string>();
      let successes = 0;
      let running = true;
      const client = (async () => {
        while (running) {
          const secret = await currentSecret();
          usedPasswords.add(secret.password as string);
          try {
            const connection = await server.connect({
              username: secret.username,
              password: secret.password as string,
            });
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
      try {
        for (let i = 0; i < ROTATIONS; i++) {
          await driver.rotate(secretId, (event) => lambda.invoke(event));
          await sleep(GAP_MS);
        }
      } finally {
        running = false;
        await client;
      }
      expect(failures).toEqual([]);
      // The client really went through the rotations: it used many of the passwords.
      expect(usedPasswords.size).toBeGreaterThan(ROTATIONS / 2);
      expect(successes).toBeGreaterThan(ROTATIONS * 5);
      expect(api.directory.calls({ user: user.id }).filter((call) => call.fault)).toEqual([]);
    },
  );
});
