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
  nodes: z.optional(
    z.array(
      z.string().check(z.refine((value) => parseNodeAddress(value) !== undefined, 'must be "host:port"')),
    ),
  ),
});
export type RedisSecret = z.infer<typeof RedisSecretSchema>;

export const parseRedisSecret = parserFor(RedisSecretSchema, 'redis');

/**
 * The admin secret named by `adminarn`. Only its credential is used: the nodes are always the ones
 * of the secret being rotated, so an admin secret shared by several Redis secrets works.
 */
const AdminSecretSchema = z.looseObject({
  username: z.optional(nonEmpty()),
  password: nonEmpty(),
});

export interface Credential {
  username: string;
  password: string;
}

const parseAdminFormat = parserFor(AdminSecretSchema, 'Redis admin');

/** The admin credential; `username` defaults to `default` (a server with only requirepass). */
export function parseAdminSecret(value: unknown): Credential {
  const admin = parseAdminFormat(value);
  return { username: admin.username ?? 'default', password: admin.password };
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

/** The secret's own host first, then every listed node, each once. */
export function nodesOf(secret: RedisSecret): RedisNode[] {
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
    if (seen.has(address)) continue;
    seen.add(address);
    nodes.push({ ...node, address, source: index === 0 ? 'host' : 'nodes' });
  }
  return nodes;
}
