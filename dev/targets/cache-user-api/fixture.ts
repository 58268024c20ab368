import { randomBytes } from 'node:crypto';
import { CreateUserCommand, ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { CreateUserCommand as CreateMemoryDbUserCommand, MemoryDBClient } from '@aws-sdk/client-memorydb';
import type { SecretsAdmin } from '../../aws/secrets-admin';
import { APP_USER_RULES } from '../redis/fixture';
import { type RedisServer, startRedis, testPassword } from '../redis/server';
import type { TestPki } from '../tls';
import type { Service } from './directory';
import { type CacheUserApi, startCacheUserApi } from './server';

/** An application user's access string: its keys, reads and writes, PING and HELLO. */
export const APP_ACCESS_STRING = `on ${APP_USER_RULES}`;

export interface CacheUserSpec {
  username?: string;
  /** Omit for a user created the way AWS's guide starts: no password (and no password in its secret). */
  password?: string | null;
  /** `iam` for an IAM-auth user. */
  authType?: 'password' | 'no-password' | 'iam';
  accessString?: string;
}

export interface CacheUser {
  service: Service;
  /** ElastiCache UserId (MemoryDB: the name). */
  id: string;
  username: string;
  password: string | undefined;
  arn: string;
}

/** SDK clients for the test process itself, pointed at the emulator explicitly (no env needed). */
function clients(api: CacheUserApi) {
  const config = { endpoint: api.endpoint, region: api.region };
  return { elasticache: new ElastiCacheClient(config), memorydb: new MemoryDBClient(config) };
}

/** Create a user through the emulator's own API (CreateUser), as an operator would in AWS. */
export async function createCacheUser(
  api: CacheUserApi,
  service: Service,
  spec: CacheUserSpec = {},
): Promise<CacheUser> {
  const username = spec.username ?? `app-${randomBytes(4).toString('hex')}`;
  const password = spec.password === null ? undefined : (spec.password ?? testPassword());
  const authType = spec.authType ?? (password ? 'password' : 'no-password');
  const accessString = spec.accessString ?? APP_ACCESS_STRING;
  const { elasticache, memorydb } = clients(api);
  if (service === 'elasticache') {
    const id = `${username}-${randomBytes(2).toString('hex')}`;
    const modes = {
      password: { Passwords: [password as string] },
      'no-password': { NoPasswordRequired: true },
      iam: { AuthenticationMode: { Type: 'iam' as const } },
    };
    const out = await elasticache.send(
      new CreateUserCommand({
        UserId: id,
        UserName: username,
        Engine: 'redis',
        AccessString: accessString,
        ...modes[authType],
      }),
    );
    return { service, id, username, password, arn: out.ARN as string };
  }
  if (authType === 'no-password') throw new Error('MemoryDB users always authenticate (password or IAM)');
  const out = await memorydb.send(
    new CreateMemoryDbUserCommand({
      UserName: username,
      AccessString: accessString,
      AuthenticationMode:
        authType === 'iam' ? { Type: 'iam' } : { Type: 'password', Passwords: [password as string] },
    }),
  );
  return { service, id: username, username, password, arn: out.User?.ARN as string };
}

export interface CacheUserSecretValue {
  user_arn: string;
  username: string;
  password?: string;
  host?: string;
  port?: number;
  tls?: boolean;
  [key: string]: unknown;
}

/** The secret for a user in AWS's sample format, naming `server` as the endpoint when given. */
export function cacheUserSecretValue(
  user: CacheUser,
  options: { server?: RedisServer; extra?: Record<string, unknown> } = {},
): CacheUserSecretValue {
  const { server } = options;
  return {
    user_arn: user.arn,
    username: user.username,
    ...(user.password ? { password: user.password } : {}),
    ...(server ? { host: server.host, port: server.port, tls: server.tls !== undefined } : {}),
    ...options.extra,
  };
}

export interface CacheUserRotationFixture {
  server: RedisServer;
  api: CacheUserApi;
  user: CacheUser;
  secretId: string;
  /** What the rotation function needs: the emulator's endpoints. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * A Redis server behind the emulated user API, one user of `service` on it and its secret: for the
 * demo and the bench (tests build their own users on one shared server).
 */
export async function startCacheUserRotationFixture(options: {
  secrets: SecretsAdmin;
  service?: Service;
  secretName?: string;
  modifyingMs?: number;
  tls?: TestPki;
}): Promise<CacheUserRotationFixture> {
  const server = await startRedis(options.tls ? { tls: options.tls } : {});
  let api: CacheUserApi | undefined;
  try {
    api = await startCacheUserApi({
      servers: [server],
      ...(options.modifyingMs === undefined ? {} : { modifyingMs: options.modifyingMs }),
    });
    const service = options.service ?? 'elasticache';
    const user = await createCacheUser(api, service);
    const secretId = await options.secrets.create(
      options.secretName ?? options.secrets.uniqueName('redis', `${service}_password`),
      cacheUserSecretValue(user, { server }),
    );
    const running = api;
    return {
      server,
      api,
      user,
      secretId,
      env: api.env(),
      async stop() {
        await running.stop();
        await server.stop();
      },
    };
  } catch (error) {
    await api?.stop();
    await server.stop();
    throw error;
  }
}
