import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SecretCache, type SecretAccess } from '../../shared/consumer/secret-cache';

const sm = mockClient(SecretsManagerClient);
let clock = 0;
let accesses: SecretAccess[];
const cache = () =>
  new SecretCache({
    ttlMs: 1000,
    now: () => clock,
    onAccess: (a) => accesses.push(a),
    client: new SecretsManagerClient({}),
  });

beforeEach(() => {
  sm.reset();
  clock = 0;
  accesses = [];
  sm.on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' }).resolves({
    SecretString: '{"token":"tok-current"}',
  });
  sm.on(GetSecretValueCommand, { VersionStage: 'AWSPREVIOUS' }).rejects(
    new ResourceNotFoundException({ message: 'no previous', $metadata: {} }),
  );
});

describe('SecretCache', () => {
  it('serves from memory within the TTL and re-reads after it', async () => {
    const c = cache();
    await c.get('s');
    clock = 999;
    await c.get('s');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    clock = 1000;
    await c.get('s');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(accesses.map((a) => a.cached)).toEqual([false, true, false]);
  });

  it('shares one fetch among concurrent callers', async () => {
    const c = cache();
    const values = await Promise.all(Array.from({ length: 50 }, () => c.get('s')));
    expect(new Set(values).size).toBe(1);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('always reads with an explicit stage', async () => {
    await cache().get('s');
    expect(sm.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: 's',
      VersionStage: 'AWSCURRENT',
    });
  });

  it('reads other stages, and answers undefined for a stage no version carries', async () => {
    const c = cache();
    expect(await c.getIfExists('s', 'AWSPREVIOUS')).toBeUndefined();
    await expect(c.get('s', 'AWSPREVIOUS')).rejects.toThrow('secret s has no AWSPREVIOUS value');
  });

  it('invalidate(name) forgets that secret only; clear() forgets all', async () => {
    const c = cache();
    await c.get('a');
    await c.get('b');
    c.invalidate('a');
    await c.get('a');
    await c.get('b');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(3);
    c.clear();
    await c.get('b');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(4);
  });

  it('parses JSON and does not cache a failed fetch', async () => {
    const c = cache();
    expect(await c.getJSON<{ token: string }>('s')).toEqual({ token: 'tok-current' });
    sm.on(GetSecretValueCommand, { SecretId: 'down' })
      .rejectsOnce(new Error('network'))
      .resolves({ SecretString: '"ok"' });
    await expect(c.get('down')).rejects.toThrow('network');
    expect(await c.get('down')).toBe('"ok"');
  });
});
