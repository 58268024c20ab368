import { describe, expect, it } from 'vitest';
import { SecretFormatError } from '../../../shared/errors';
import { nodesOf, nodesOutside, parseAdminSecret, parseRedisSecret } from '../../../functions/redis/secret';

const VALID = { host: 'cache.internal', username: 'app', password: 'correct-horse-battery' };

describe('redis secret format', () => {
  it('accepts the minimal secret and keeps unknown keys', () => {
    expect(parseRedisSecret({ ...VALID, db: 2, note: 'crm' })).toEqual({ ...VALID, db: 2, note: 'crm' });
  });

  it('names every missing or mistyped key without quoting a value', () => {
    try {
      parseRedisSecret({
        host: '',
        port: 70000,
        password: 'hunter2-secret',
        tls: 'yes',
        nodes: ['a:1', 'b'],
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SecretFormatError);
      const { problems, message } = error as SecretFormatError;
      expect(problems).toEqual([
        '`host` must not be empty',
        '`port` must be at most 65535',
        '`username` is required',
        '`tls` must be a boolean',
        '`nodes.1` must be "host:port"',
      ]);
      expect(message).not.toContain('hunter2-secret');
    }
  });

  it.each(['host', 'host:0', 'host:65536', 'host:port', ':6379', 'a b:6379', '::1:6379'])(
    'refuses the node address %j',
    (address) => {
      expect(() => parseRedisSecret({ ...VALID, nodes: [address] })).toThrow('`nodes.0` must be "host:port"');
    },
  );

  it('lists the secret host first (default port 6379), then each node once', () => {
    const secret = parseRedisSecret({
      ...VALID,
      nodes: ['replica-1.internal:6380', 'cache.internal:6379', '[fd00::1]:6379', 'replica-1.internal:6380'],
    });
    expect(nodesOf(secret)).toEqual([
      { host: 'cache.internal', port: 6379, address: 'cache.internal:6379', source: 'host' },
      { host: 'replica-1.internal', port: 6380, address: 'replica-1.internal:6380', source: 'nodes' },
      { host: 'fd00::1', port: 6379, address: '[fd00::1]:6379', source: 'nodes' },
    ]);
  });
});

describe('admin secret format', () => {
  it('takes username, password and the servers it belongs to; username defaults to `default` (requirepass)', () => {
    expect(
      parseAdminSecret({
        username: 'ops',
        password: 'admin-pass-1',
        host: 'x',
        nodes: ['Replica.internal:6380'],
      }),
    ).toEqual({
      username: 'ops',
      password: 'admin-pass-1',
      nodes: [
        { host: 'x', port: 6379, address: 'x:6379', source: 'host' },
        { host: 'Replica.internal', port: 6380, address: 'Replica.internal:6380', source: 'nodes' },
      ],
    });
    expect(parseAdminSecret({ password: 'admin-pass-1' })).toEqual({
      username: 'default',
      password: 'admin-pass-1',
      nodes: undefined,
    });
  });

  it('compares nodes without case or a trailing dot, and names the ones outside', () => {
    const admin = nodesOf({ host: 'cache.internal', nodes: ['replica-1.internal:6380'] });
    const user = nodesOf({
      host: 'CACHE.internal.',
      port: 6379,
      nodes: ['replica-1.internal:6380', 'evil.example:6379'],
    });
    expect(nodesOutside(user, admin).map((node) => node.address)).toEqual(['evil.example:6379']);
    expect(nodesOutside(nodesOf({ host: 'cache.internal', port: 6380 }), admin)).toHaveLength(1);
  });

  it('says which key is wrong when it is malformed (readOtherSecretAs adds which secret)', () => {
    expect(() => parseAdminSecret({ username: 'ops' })).toThrow(
      'not a valid Redis admin secret: `password` is required',
    );
  });
});
