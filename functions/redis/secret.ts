import * as z from 'zod/mini';
import { SecretFormatError } from '../../shared/errors';
import { parserFor } from '../../shared/rotation/secret-format';

const DEFAULT_REDIS_PORT = 6379;

/** `host:port`, `[v6-address]:port`; the port between 1 and 65535. */
const NODE_ADDRESS = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/;

function parseNodeAddress(address: string): { host: string; port: number } | undefined {
  const match = NODE_ADDRESS.exec(address);
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: (match[1] ?? match[2]) as string, port };
}

const nonEmpty = () => z.string().check(z.minLength(1));

/** `host:port` entries, IPv6 as `[addr]:port`. */
const nodeList = () =>
  z.optional(
    z.array(
      z.string().check(z.refine((value) => parseNodeAddress(value) !== undefined, 'must be "host:port"')),
    ),
  );

/**
 * A Redis 6+ ACL user's secret. Loose: keys other tools put in the secret (a `dbname`, a
 * description) survive rotation unchanged.
 */
const RedisSecretSchema = z.looseObject({
  host: nonEmpty(),
  port: z.optional(z.int().check(z.minimum(1), z.maximum(65535))),
  username: nonEmpty(),
  password: nonEmpty(),
  /** TLS with certificate verification unless exactly `false`. */
  tls: z.optional(z.boolean()),
  /** ARN or name of a secret with an ACL admin credential that makes the changes. */
  adminarn: z.optional(nonEmpty()),
  /** Extra nodes (replicas) that must receive the same ACL change: Redis ACLs are per node. */
  nodes: nodeList(),
});
export type RedisSecret = z.infer<typeof RedisSecretSchema>;

export const parseRedisSecret = parserFor(RedisSecretSchema, 'redis');

/**
 * An ElastiCache or MemoryDB RBAC user's secret, in the format of AWS's own rotation sample
 * (SecretsManagerElasticacheUserRotation), so existing secrets work unchanged. `user_arn` selects
 * this strategy. `password` may be missing before the first rotation (AWS's guide creates the
 * secret without one, for a user created with no password); `host` and `port` name an endpoint to
 * prove the new password against. Loose: unknown keys survive.
 */
const AwsUserSecretSchema = z.looseObject({
  user_arn: z
    .string()
    .check(
      z.refine(
        (value) => parseUserArn(value) !== undefined,
        'must be an ElastiCache user ARN (arn:aws:elasticache:<region>:<account>:user:<user-id>) or a MemoryDB user ARN (arn:aws:memorydb:<region>:<account>:user/<user-name>)',
      ),
    ),
  username: nonEmpty(),
  password: z.optional(nonEmpty()),
  host: z.optional(nonEmpty()),
  port: z.optional(z.int().check(z.minimum(1), z.maximum(65535))),
  /** TLS with certificate verification unless exactly `false` (ElastiCache serverless requires TLS). */
  tls: z.optional(z.boolean()),
});
export type AwsUserSecret = z.infer<typeof AwsUserSecretSchema>;

const parseAwsUserSecret = parserFor(AwsUserSecretSchema, 'ElastiCache/MemoryDB user');

/** Either format this function rotates; which one follows from `user_arn`. */
export type AnyRedisSecret = RedisSecret | AwsUserSecret;

export function isAwsUserSecret(secret: AnyRedisSecret): secret is AwsUserSecret {
  return typeof (secret as { user_arn?: unknown }).user_arn === 'string';
}

/**
 * The function's parser: a value with `user_arn` is an ElastiCache/MemoryDB user's secret (the
 * password changes through the service API), any other a self-managed ACL user's.
 */
export function parseAnyRedisSecret(value: unknown): AnyRedisSecret {
  const hasUserArn = value !== null && typeof value === 'object' && 'user_arn' in value;
  return hasUserArn ? parseAwsUserSecret(value) : parseRedisSecret(value);
}

export type UserService = 'elasticache' | 'memorydb';

/** What a user ARN says: which service, where, and which user (ElastiCache user id, MemoryDB name). */
export interface UserArn {
  service: UserService;
  partition: string;
  region: string;
  account: string;
  /** ElastiCache: the UserId (not the name clients AUTH with); MemoryDB: the user name. */
  userId: string;
}

const USER_ARN =
  /^arn:(aws[a-z-]*):(elasticache|memorydb):([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12}):user([:/])([a-zA-Z][a-zA-Z0-9-]*)$/;

/** Parse a user ARN; undefined unless it is exactly an ElastiCache or a MemoryDB user ARN. */
export function parseUserArn(arn: string): UserArn | undefined {
  const match = USER_ARN.exec(arn);
  if (!match) return undefined;
  const [, partition, service, region, account, separator, userId] = match as unknown as string[];
  // ElastiCache writes user:<id>, MemoryDB user/<name>.
  if ((service === 'elasticache') !== (separator === ':')) return undefined;
  return {
    service: service as UserService,
    partition: partition as string,
    region: region as string,
    account: account as string,
    userId: userId as string,
  };
}

/**
 * The admin secret named by `adminarn`: the credential, and the servers it belongs to (`host`,
 * `port`, `nodes`, as in a user's secret). Its password goes only to those servers: a user's
 * secret whose nodes are not all among them is refused, so editing a user's secret cannot send
 * the admin password elsewhere. One admin secret may serve many user secrets of the same servers.
 */
const AdminSecretSchema = z.looseObject({
  username: z.optional(nonEmpty()),
  password: nonEmpty(),
  host: z.optional(nonEmpty()),
  port: z.optional(z.int().check(z.minimum(1), z.maximum(65535))),
  nodes: nodeList(),
});

export interface Credential {
  username: string;
  password: string;
}

export interface AdminSecret extends Credential {
  /** The servers the admin credential belongs to; undefined when the admin secret names no host. */
  nodes: RedisNode[] | undefined;
}

const parseAdminFormat = parserFor(AdminSecretSchema, 'Redis admin');

/** The admin credential; `username` defaults to `default` (a server with only requirepass). */
export function parseAdminSecret(value: unknown): AdminSecret {
  const admin = parseAdminFormat(value);
  return {
    username: admin.username ?? 'default',
    password: admin.password,
    nodes: admin.host === undefined ? undefined : nodesOf({ ...admin, host: admin.host }),
  };
}

/** One Redis server the ACL change must reach. `address` is host:port, safe to log. */
export interface RedisNode {
  host: string;
  port: number;
  address: string;
  /** Where it came from, for error messages: the secret's `host` or its `nodes` list. */
  source: 'host' | 'nodes';
}

function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Where a secret says its servers are: a user's secret, or an admin secret that names a host. */
export interface Endpoints {
  host: string;
  port?: number | undefined;
  nodes?: string[] | undefined;
}

/** The secret's own host first, then every listed node, each once. */
export function nodesOf(secret: Endpoints): RedisNode[] {
  const primary = { host: secret.host, port: secret.port ?? DEFAULT_REDIS_PORT };
  const listed = (secret.nodes ?? []).map((address) => {
    const parsed = parseNodeAddress(address);
    // The schema has already refused anything else.
    if (!parsed) throw new SecretFormatError(`\`nodes\` entry is not "host:port"`);
    return parsed;
  });
  const seen = new Set<string>();
  const nodes: RedisNode[] = [];
  for (const [index, node] of [primary, ...listed].entries()) {
    const address = formatAddress(node.host, node.port);
    if (seen.has(sameNodeKey(address))) continue;
    seen.add(sameNodeKey(address));
    nodes.push({ ...node, address, source: index === 0 ? 'host' : 'nodes' });
  }
  return nodes;
}

/** Host names compare without case or a trailing dot: `Redis-1.internal.:6379` is `redis-1.internal:6379`. */
export function sameNodeKey(address: string): string {
  return address.toLowerCase().replace(/\.(?=:\d+$)/, '');
}

/** The nodes of `wanted` that are not among `allowed` (compared by sameNodeKey). */
export function nodesOutside(wanted: readonly RedisNode[], allowed: readonly RedisNode[]): RedisNode[] {
  const keys = new Set(allowed.map((node) => sameNodeKey(node.address)));
  return wanted.filter((node) => !keys.has(sameNodeKey(node.address)));
}
