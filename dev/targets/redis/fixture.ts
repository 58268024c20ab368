import { randomBytes } from 'node:crypto';
import {
  type RedisCredentials,
  type RedisServer,
  startRedis,
  type StartRedisOptions,
  testPassword,
} from './server';
import { SecretsAdmin } from '../../aws/secrets-admin';

/** What an application user may do: its keys, reads and writes, PING and HELLO. No ACL commands. */
export const APP_USER_RULES = '~app:* resetchannels -@all +@read +@write +@connection';
/** The same user, allowed to change its own password (the setup without `adminarn`). */
export const SELF_MANAGED_USER_RULES = `${APP_USER_RULES} +acl`;

export interface RedisSecretValue {
  host: string;
  port: number;
  username: string;
  password: string;
  tls: boolean;
  adminarn?: string;
  nodes?: string[];
  [key: string]: unknown;
}

/**
 * Create a user with one password on every given server (primary first, then replicas: Redis ACLs
 * are per node).
 */
export async function createRedisUser(
  servers: readonly RedisServer[],
  options: { username?: string; rules?: string } = {},
): Promise<RedisCredentials> {
  const username = options.username ?? `app-${randomBytes(4).toString('hex')}`;
  const credentials = { username, password: testPassword() };
  for (const server of servers) {
    await server.createUser({ ...credentials, rules: options.rules ?? APP_USER_RULES });
  }
  return credentials;
}

/** The secret value for a user on `server`, with the other servers listed in `nodes`. */
export function redisSecretValue(
  server: RedisServer,
  user: RedisCredentials,
  options: { adminarn?: string; replicas?: readonly RedisServer[]; extra?: Record<string, unknown> } = {},
): RedisSecretValue {
  return {
    host: server.host,
    port: server.port,
    username: user.username,
    password: user.password,
    tls: server.tls !== undefined,
    ...(options.adminarn ? { adminarn: options.adminarn } : {}),
    ...(options.replicas?.length ? { nodes: options.replicas.map((replica) => replica.address) } : {}),
    ...options.extra,
  };
}

/**
 * A Secrets Manager secret holding a server's admin credential, for `adminarn`, naming the servers
 * it belongs to (the function sends the admin password nowhere else): `server` and `nodes`.
 */
export function createAdminSecret(
  secrets: SecretsAdmin,
  server: RedisServer,
  name = secrets.uniqueName('redis', 'admin'),
  nodes: readonly string[] = [],
): Promise<string> {
  return secrets.create(name, {
    host: server.host,
    port: server.port,
    ...(nodes.length ? { nodes } : {}),
    ...server.adminCreds,
  });
}

export interface RedisRotationFixture {
  server: RedisServer;
  replicas: RedisServer[];
  user: RedisCredentials;
  /** The secret to rotate (AWSCURRENT holds `user`). */
  secretId: string;
  /** The admin secret named by `adminarn`, unless `selfManaged`. */
  adminSecretId: string | undefined;
  stop(): Promise<void>;
}

export interface RedisRotationFixtureOptions extends Pick<StartRedisOptions, 'tls' | 'aclFile'> {
  /** Replicas to start and list in `nodes` (default 0). */
  replicas?: number;
  /** No adminarn: the user holds +acl and changes its own password. */
  selfManaged?: boolean;
  secrets?: SecretsAdmin;
  /** Secret names (the demo follows the naming convention); default: unique test names. */
  secretName?: string;
  adminSecretName?: string;
}

/**
 * Everything a rotation needs, in one call: a server (and replicas), an application user, its
 * secret and, unless self-managed, an admin secret. For the demo and the bench; the moto
 * environment (AWS_ENDPOINT_URL...) must already be set.
 */
export async function startRedisRotationFixture(
  options: RedisRotationFixtureOptions = {},
): Promise<RedisRotationFixture> {
  const secrets = options.secrets ?? new SecretsAdmin();
  const started: RedisServer[] = [];
  try {
    const server = await startRedis({
      ...(options.tls ? { tls: options.tls } : {}),
      ...(options.aclFile === undefined ? {} : { aclFile: options.aclFile }),
    });
    started.push(server);
    const replicas: RedisServer[] = [];
    for (let i = 0; i < (options.replicas ?? 0); i++) {
      const replica = await startRedis({ replicaOf: server });
      started.push(replica);
      replicas.push(replica);
    }
    const user = await createRedisUser(started, {
      rules: options.selfManaged ? SELF_MANAGED_USER_RULES : APP_USER_RULES,
    });
    const adminSecretId = options.selfManaged
      ? undefined
      : await createAdminSecret(
          secrets,
          server,
          options.adminSecretName,
          replicas.map((replica) => replica.address),
        );
    const secretId = await secrets.create(
      options.secretName ?? secrets.uniqueName('redis', 'password'),
      redisSecretValue(server, user, { ...(adminSecretId ? { adminarn: adminSecretId } : {}), replicas }),
    );
    return {
      server,
      replicas,
      user,
      secretId,
      adminSecretId,
      stop: () => stopAll(started),
    };
  } catch (error) {
    await stopAll(started);
    throw error;
  }
}

async function stopAll(servers: readonly RedisServer[]): Promise<void> {
  await Promise.all(servers.map((server) => server.stop()));
}

/** Every password held by any staged version of these secrets: what a no-leak check searches for. */
export async function passwordsOf(secrets: SecretsAdmin, secretIds: readonly string[]): Promise<string[]> {
  const found = new Set<string>();
  for (const secretId of secretIds) {
    for (const stage of ['AWSCURRENT', 'AWSPREVIOUS', 'AWSPENDING']) {
      const value = await secrets.valueAt<{ password?: unknown }>(secretId, stage);
      if (typeof value?.password === 'string') found.add(value.password);
    }
  }
  return [...found];
}
