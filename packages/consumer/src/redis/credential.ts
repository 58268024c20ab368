import type { SecretCache } from '../secret-cache.js';
import { RotatingCredential, type SecretFields } from '../secret-value.js';

/**
 * An ACL login from a redis secret: self-managed `{ host, port, username, password, tls }` or
 * ElastiCache/MemoryDB `{ user_arn, username, password, host?, port?, tls? }`.
 */
export interface RedisCredential {
  username: string;
  password: string;
  host: string | undefined;
  port: number | undefined;
  tls: boolean | undefined;
}

function parseRedisCredential(fields: SecretFields): RedisCredential {
  return {
    // Without a user name, Redis AUTH logs in as `default`.
    username: fields.optionalString('username') || 'default',
    password: fields.string('password'),
    host: fields.optionalString('host'),
    port: fields.optionalPort('port'),
    tls: fields.optionalFlag('tls'),
  };
}

export function redisCredential(cache: SecretCache, secretId: string): RotatingCredential<RedisCredential> {
  return new RotatingCredential(cache, secretId, parseRedisCredential, (c) =>
    JSON.stringify([c.username, c.password]),
  );
}

/** Where to connect: the caller's settings first, then the secret's, then Redis's defaults. */
export function endpointOf(
  credential: RedisCredential,
  secretId: string,
  override: { host?: string | undefined; port?: number | undefined },
): { host: string; port: number } {
  const host = override.host ?? credential.host;
  if (host === undefined) {
    throw new Error(`secret ${secretId} names no host (ElastiCache format): pass the endpoint's host`);
  }
  return { host, port: override.port ?? credential.port ?? 6379 };
}

/** The server refused AUTH/HELLO: `WRONGPASS invalid username-password pair or user is disabled.` */
export function isWrongPass(error: unknown): boolean {
  return /^WRONGPASS\b/.test(messageOf(error));
}

/** A command refused because its connection is not authenticated (it did not run). */
export function isNoAuth(error: unknown): boolean {
  return /^NOAUTH\b/.test(messageOf(error));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : typeof error === 'string' ? error : '';
}
