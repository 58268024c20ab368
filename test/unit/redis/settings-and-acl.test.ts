import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { passwordHash, passwordHashesOf } from '../../../functions/redis/acl';
import { RedisSession } from '../../../functions/redis/connection';
import { redisSettings } from '../../../functions/redis/settings';
import { noDeadline } from '../../../shared/net/deadline';
import { scrub } from '../../../shared/observability/redaction';

describe('redis settings', () => {
  it('defaults to 5 s timeouts', () => {
    expect(redisSettings({})).toEqual({ connectTimeoutMs: 5000, commandTimeoutMs: 5000 });
  });

  it('reads the environment and refuses nonsense', () => {
    expect(
      redisSettings({
        REDIS_CONNECT_TIMEOUT_MS: '750',
        REDIS_COMMAND_TIMEOUT_MS: '2000',
        REDIS_CA_BUNDLE: '/ca.pem',
      }),
    ).toEqual({ connectTimeoutMs: 750, commandTimeoutMs: 2000 });
    expect(() => redisSettings({ REDIS_CONNECT_TIMEOUT_MS: 'soon' })).toThrow(
      'REDIS_CONNECT_TIMEOUT_MS must be an integer number of milliseconds between 100 and 120000',
    );
  });
});

function sessionAnswering(reply: unknown): RedisSession {
  const client = { call: async () => reply, disconnect: () => undefined } as unknown as Redis;
  const node = { host: '127.0.0.1', port: 6379, address: '127.0.0.1:6379', source: 'host' as const };
  return new RedisSession(
    node,
    client,
    { who: 'user app' },
    { connectTimeoutMs: 1000, commandTimeoutMs: 1000 },
    noDeadline(),
  );
}

describe('ACL helpers', () => {
  const hash = 'a'.repeat(64);

  it('hashes with SHA-256 as Redis does, and keeps the hash out of logs', () => {
    const value = passwordHash('password');
    expect(value).toBe('5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8');
    expect(scrub(`hash ${value}`)).toBe('hash [REDACTED]');
  });

  it('reads password hashes from a flat (RESP2 / legacy) ACL GETUSER reply', async () => {
    const reply = ['flags', ['on'], 'passwords', [hash], 'commands', '+@all'];
    expect(await passwordHashesOf(sessionAnswering(reply), 'app')).toEqual([hash]);
  });

  it('reads password hashes from a RESP3 map reply', async () => {
    expect(await passwordHashesOf(sessionAnswering({ flags: ['on'], passwords: [hash] }), 'app')).toEqual([
      hash,
    ]);
  });

  it('names a missing user and a reply it cannot read', async () => {
    await expect(passwordHashesOf(sessionAnswering(null), 'ghost')).rejects.toThrow(
      'Redis node 127.0.0.1:6379 has no ACL user ghost',
    );
    await expect(passwordHashesOf(sessionAnswering(['flags', ['on']]), 'app')).rejects.toThrow(
      'without a list of password hashes',
    );
  });
});
