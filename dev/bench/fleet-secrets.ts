import { TagResourceCommand } from '@aws-sdk/client-secrets-manager';
import { SuiteTag } from '../../shared/fleet/tags';
import type { SecretsAdmin } from '../aws/secrets-admin';
import { startMcpStack, startWebhookStack } from '../targets/bearer-stacks';
import {
  cacheUserSecretValue,
  createCacheUser,
  startCacheUserRotationFixture,
} from '../targets/cache-user-api/fixture';
import type { PostgresCluster } from '../targets/postgres/cluster';
import { createPostgresFixture, postgresFunctionEnv } from '../targets/postgres/fixture';
import { createAdminSecret, createRedisUser, redisSecretValue } from '../targets/redis/fixture';
import { startRedis } from '../targets/redis/server';
import { createZohoTenant } from '../targets/zoho/tenant';
import { startZohoServer } from '../targets/zoho/server';

/** One kind of the mixed fleet: which function rotates it, and how to add one more secret. */
export interface FleetKind {
  label: string;
  functionName: string;
  env: Record<string, string>;
  /** Create one secret (and its user, role or tenant on the shared target); returns its id. */
  add(): Promise<string>;
}

export interface FleetTargets {
  kinds: FleetKind[];
  stop(): Promise<void>;
}

/** Consumers re-read quickly in benches; production keeps the five-minute default. */
const FAST_VERIFIER = { ttlMs: 1_000, minRefreshIntervalMs: 20 };

/**
 * A target per kind that holds many secrets, as a fleet does: one PostgreSQL cluster (a role or two
 * per secret), one Redis (an ACL user per secret, one admin secret), one ElastiCache user API (a user
 * per secret), one Zoho (a client and refresh token per secret); webhook receivers and MCP servers
 * verify against one secret each, so they come one per secret (a small HTTP server each).
 */
export async function startFleetTargets(
  cluster: PostgresCluster,
  admin: SecretsAdmin,
): Promise<FleetTargets> {
  const stops: (() => Promise<unknown>)[] = [];
  try {
    const redis = await startRedis();
    stops.push(() => redis.stop());
    const redisAdmin = await createAdminSecret(admin, redis);
    const cache = await startCacheUserRotationFixture({ secrets: admin, modifyingMs: 200 });
    stops.push(() => cache.stop());
    const zoho = await startZohoServer({ mintLimit: 100_000, maxActiveAccessTokens: 100_000 });
    stops.push(() => zoho.stop());
    let firstCacheSecret: string | undefined = cache.secretId;

    const kinds: FleetKind[] = [
      {
        label: 'PostgreSQL (single user)',
        functionName: 'postgres',
        env: postgresFunctionEnv(),
        add: async () => (await createPostgresFixture(cluster, admin, { strategy: 'single-user' })).secretId,
      },
      {
        label: 'PostgreSQL (alternating users)',
        functionName: 'postgres',
        env: postgresFunctionEnv(),
        add: async () =>
          (await createPostgresFixture(cluster, admin, { strategy: 'alternating-users' })).secretId,
      },
      {
        label: 'Redis (ACL dual passwords)',
        functionName: 'redis',
        env: {},
        add: async () => {
          const user = await createRedisUser([redis]);
          return admin.create(
            admin.uniqueName('redis', 'password'),
            redisSecretValue(redis, user, { adminarn: redisAdmin }),
          );
        },
      },
      {
        label: 'Redis on ElastiCache (RBAC user)',
        functionName: 'redis',
        env: { ...cache.env, REDIS_USER_POLL_MS: '100' },
        add: async () => {
          // The fixture's own first user is the first secret of this kind.
          const first = firstCacheSecret;
          firstCacheSecret = undefined;
          if (first) return first;
          const user = await createCacheUser(cache.api, 'elasticache');
          return admin.create(
            admin.uniqueName('redis', 'elasticache_password'),
            cacheUserSecretValue(user, { server: cache.server }),
          );
        },
      },
      {
        label: 'Zoho CRM OAuth',
        functionName: 'zoho-oauth',
        env: {},
        add: async () => {
          const tenant = await createZohoTenant(zoho, { withAccessToken: true });
          return admin.create(admin.uniqueName('zoho', 'refresh_token'), tenant.secret);
        },
      },
      {
        label: 'Webhook bearer token',
        functionName: 'webhook-bearer',
        env: {},
        add: async () => {
          const stack = await startWebhookStack({ admin, ...FAST_VERIFIER });
          stops.push(() => stack.stop());
          return stack.secretId;
        },
      },
      {
        label: 'MCP server token',
        functionName: 'mcp-token',
        env: {},
        add: async () => {
          const stack = await startMcpStack({ admin, ...FAST_VERIFIER, jsonResponses: true });
          stops.push(() => stack.stop());
          return stack.secretId;
        },
      },
    ];
    return {
      kinds,
      stop: async () => {
        await Promise.all(stops.reverse().map((stop) => stop().catch(() => undefined)));
      },
    };
  } catch (error) {
    await Promise.all(stops.map((stop) => stop().catch(() => undefined)));
    throw error;
  }
}

export interface FleetSecret {
  kind: FleetKind;
  secretId: string;
}

/**
 * `size` secrets, the kinds taking turns (so any stretch of the queue is mixed), created 20 at a
 * time and tagged `rotation-suite=<tagValue>` for the monitor.
 */
export async function createFleet(
  targets: FleetTargets,
  admin: SecretsAdmin,
  size: number,
  tagValue: string,
): Promise<FleetSecret[]> {
  const fleet: FleetSecret[] = [];
  for (let start = 0; start < size; start += 20) {
    const batch = Array.from({ length: Math.min(20, size - start) }, (_, offset) => {
      const kind = targets.kinds[(start + offset) % targets.kinds.length] as FleetKind;
      return kind.add().then(async (secretId) => {
        await admin.sm.send(
          new TagResourceCommand({
            SecretId: secretId,
            Tags: [
              { Key: SuiteTag.Suite, Value: tagValue },
              { Key: SuiteTag.Kind, Value: kind.functionName },
            ],
          }),
        );
        return { kind, secretId };
      });
    });
    fleet.push(...(await Promise.all(batch)));
  }
  return fleet;
}
