import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { startMcpStack, startWebhookStack } from './bearer-stacks';
import { createPostgresFixture, postgresFunctionEnv, type Strategy } from './postgres/fixture';
import { canLogin, type PostgresCluster } from './postgres/cluster';
import { startCacheUserRotationFixture } from './cache-user-api/fixture';
import { startRedisRotationFixture } from './redis/fixture';
import type { SecretsAdmin } from '../aws/secrets-admin';
import { startZohoServer, type ZohoServerOptions } from './zoho/server';
import { callCrm, createZohoTenant } from './zoho/tenant';

/**
 * One secret of each kind, wired to a real local target, behind one interface: what the demo, the
 * bench and the operations tests rotate. `accepts` asks the target itself whether a credential (a
 * secret value) works right now.
 */
export interface RotationTarget {
  label: string;
  /** The function folder (dist/<functionName>/index.mjs). */
  functionName: string;
  secretId: string;
  /** Extra environment for the rotation function. */
  env: Record<string, string>;
  accepts(value: Record<string, unknown>): Promise<boolean>;
  /** What a finished rotation promises for the AWSPREVIOUS credential. */
  previousAfterRotation: 'works' | 'refused';
  /** Let consumers see a rotation now instead of after their cache TTL (the strategy's invalidation). */
  settle(): Promise<void>;
  /** The calls the function made to the target's own AWS API (ElastiCache), where it has one. */
  serviceCalls?: { counts(): Record<string, number>; reset(): void };
  stop(): Promise<void>;
}

const noop = async () => undefined;
const text = (value: unknown) => (typeof value === 'string' ? value : '');

/** PostgreSQL, either strategy, in a cluster the caller owns (one cluster serves many secrets). */
export async function postgresTarget(
  cluster: PostgresCluster,
  admin: SecretsAdmin,
  strategy: Strategy,
  names: { secretName?: string; masterSecretName?: string } = {},
): Promise<RotationTarget> {
  const fixture = await createPostgresFixture(cluster, admin, { strategy, ...names });
  return {
    label: strategy === 'alternating-users' ? 'PostgreSQL (alternating users)' : 'PostgreSQL (single user)',
    functionName: 'postgres',
    secretId: fixture.secretId,
    env: postgresFunctionEnv(),
    accepts: (value) =>
      canLogin(
        cluster,
        { username: text(value.username), password: text(value.password) },
        text(value.dbname),
      ),
    previousAfterRotation: strategy === 'alternating-users' ? 'works' : 'refused',
    settle: noop,
    stop: noop,
  };
}

async function redisTarget(
  admin: SecretsAdmin,
  names: { secretName?: string; adminSecretName?: string } = {},
): Promise<RotationTarget> {
  const fixture = await startRedisRotationFixture({ secrets: admin, ...names });
  return {
    label: 'Redis (ACL dual passwords)',
    functionName: 'redis',
    secretId: fixture.secretId,
    env: {},
    accepts: (value) =>
      fixture.server.accepts({ username: text(value.username), password: text(value.password) }),
    previousAfterRotation: 'works',
    settle: noop,
    stop: () => fixture.stop(),
  };
}

/**
 * An ElastiCache RBAC user, its passwords changed through the local ElastiCache API, which applies
 * them to a real redis-server; the user stays `modifying` for 200 ms after each change.
 */
async function elasticacheUserTarget(
  admin: SecretsAdmin,
  names: { secretName?: string } = {},
): Promise<RotationTarget> {
  const fixture = await startCacheUserRotationFixture({
    secrets: admin,
    service: 'elasticache',
    modifyingMs: 200,
    ...(names.secretName ? { secretName: names.secretName } : {}),
  });
  const { directory } = fixture.api;
  return {
    label: 'Redis on ElastiCache (RBAC user)',
    functionName: 'redis',
    secretId: fixture.secretId,
    env: { ...fixture.env, REDIS_USER_POLL_MS: '100' },
    accepts: (value) =>
      fixture.server.accepts({ username: text(value.username), password: text(value.password) }),
    previousAfterRotation: 'works',
    settle: noop,
    serviceCalls: {
      counts: () =>
        directory.calls().reduce<Record<string, number>>((counts, call) => {
          counts[call.action] = (counts[call.action] ?? 0) + 1;
          return counts;
        }, {}),
      reset: () => directory.resetCalls(),
    },
    stop: () => fixture.stop(),
  };
}

async function zohoTarget(
  admin: SecretsAdmin,
  names: { secretName?: string } = {},
  serverOptions: ZohoServerOptions = {},
): Promise<RotationTarget> {
  const server = await startZohoServer(serverOptions);
  const tenant = await createZohoTenant(server, { withAccessToken: true });
  const secretId = await admin.create(
    names.secretName ?? admin.uniqueName('zoho', 'refresh_token'),
    tenant.secret,
  );
  return {
    label: 'Zoho CRM OAuth',
    functionName: 'zoho-oauth',
    secretId,
    env: {},
    accepts: async (value) => (await callCrm(server, text(value.access_token))).status === 200,
    previousAfterRotation: 'works',
    settle: noop,
    stop: () => server.stop(),
  };
}

/** Consumers re-read quickly in demos and benches; production keeps the five-minute default. */
const FAST_VERIFIER = { ttlMs: 1_000, minRefreshIntervalMs: 20 };

async function acceptedByStatus(url: string, init: RequestInit): Promise<boolean> {
  const response = await fetch(url, init);
  await response.arrayBuffer();
  return response.ok;
}

export async function webhookTarget(
  admin: SecretsAdmin,
  names: { secretName?: string } = {},
): Promise<RotationTarget> {
  const stack = await startWebhookStack({
    admin,
    ...FAST_VERIFIER,
    ...(names.secretName ? { name: names.secretName } : {}),
  });
  return {
    label: 'Webhook bearer token',
    functionName: 'webhook-bearer',
    secretId: stack.secretId,
    env: {},
    accepts: (value) =>
      acceptedByStatus(stack.receiver.url, {
        method: 'POST',
        headers: { Authorization: `Bearer ${text(value.token)}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ type: 'demo.ping' }),
      }),
    previousAfterRotation: 'works',
    settle: async () => stack.verifier.invalidate(),
    stop: () => stack.stop(),
  };
}

/** An MCP `initialize` with the token; ends the session it opened, as a polite client does. */
async function mcpInitializeAccepted(url: string, token: string): Promise<boolean> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: LATEST_PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: 'rotation-probe', version: '1.0.0' },
      },
    }),
  });
  await response.arrayBuffer();
  const session = response.headers.get('mcp-session-id');
  if (response.ok && session) {
    await fetch(url, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${token}`, 'Mcp-Session-Id': session },
    });
  }
  return response.ok;
}

async function mcpTarget(admin: SecretsAdmin, names: { secretName?: string } = {}): Promise<RotationTarget> {
  const stack = await startMcpStack({
    admin,
    ...FAST_VERIFIER,
    jsonResponses: true,
    ...(names.secretName ? { name: names.secretName } : {}),
  });
  return {
    label: 'MCP server token',
    functionName: 'mcp-token',
    secretId: stack.secretId,
    env: {},
    accepts: (value) => mcpInitializeAccepted(stack.server.url, text(value.token)),
    previousAfterRotation: 'works',
    settle: async () => stack.verifier.invalidate(),
    stop: () => stack.stop(),
  };
}

/** The local targets, one per kind and PostgreSQL strategy, in the order the demo shows them. */
const TARGET_KINDS = [
  'postgres-single-user',
  'postgres-alternating-users',
  'redis',
  'redis-elasticache',
  'zoho',
  'webhook',
  'mcp',
] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

export interface LocalTargetsOptions {
  /** Which targets to start (default: all of them), always returned in TARGET_KINDS order. */
  only?: readonly TargetKind[];
  /** Secret names per target (the demo's naming convention); unnamed ones get unique test names. */
  names?: Partial<
    Record<TargetKind, { secretName?: string; masterSecretName?: string; adminSecretName?: string }>
  >;
  /** The local Zoho's limits (the bench lifts them). */
  zoho?: ZohoServerOptions;
}

/**
 * The set of local targets the demo, the bench and the operations tests rotate: each started
 * against its own local server (PostgreSQL ones in `cluster`), all at once. When one cannot start,
 * the ones that did are stopped again before the error is thrown.
 */
export async function startLocalTargets(
  cluster: PostgresCluster,
  admin: SecretsAdmin,
  options: LocalTargetsOptions = {},
): Promise<RotationTarget[]> {
  const names = options.names ?? {};
  const start: Record<TargetKind, () => Promise<RotationTarget>> = {
    'postgres-single-user': () =>
      postgresTarget(cluster, admin, 'single-user', names['postgres-single-user']),
    'postgres-alternating-users': () =>
      postgresTarget(cluster, admin, 'alternating-users', names['postgres-alternating-users']),
    redis: () => redisTarget(admin, names.redis),
    'redis-elasticache': () => elasticacheUserTarget(admin, names['redis-elasticache']),
    zoho: () => zohoTarget(admin, names.zoho, options.zoho),
    webhook: () => webhookTarget(admin, names.webhook),
    mcp: () => mcpTarget(admin, names.mcp),
  };
  const kinds = TARGET_KINDS.filter((kind) => !options.only || options.only.includes(kind));
  const settled = await Promise.allSettled(kinds.map((kind) => start[kind]()));
  const started = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failure = settled.find((s) => s.status === 'rejected');
  if (failure) {
    await Promise.all(started.map((target) => target.stop().catch(() => undefined)));
    throw failure.reason;
  }
  return started;
}
