import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SecretCache, type SecretAccess } from '../../../packages/consumer/src/secret-cache';
import { type FakeSecretState, mockSecret } from '../../support/mock-secrets';

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

describe('SecretCache.versions (one consistent view of the labels)', () => {
  const STAGES = ['AWSCURRENT', 'AWSPREVIOUS', 'AWSPENDING'];
  let state: FakeSecretState;

  beforeEach(() => {
    sm.reset();
    state = {
      versions: { v1: ['AWSPREVIOUS'], v2: ['AWSCURRENT'], v0: [], other: ['CUSTOM'] },
      values: { v0: '"zero"', v1: '"one"', v2: '"two"', other: '"custom"' },
    };
    mockSecret(sm, state);
  });

  const byId = (versions: { versionId: string; value: string | undefined }[]) =>
    Object.fromEntries(versions.map((v) => [v.versionId, v.value]));

  it('reads the labels with one DescribeSecret and each asked-for version by VersionId', async () => {
    const versions = await cache().versions('s', STAGES);
    expect(byId(versions)).toEqual({ v1: '"one"', v2: '"two"' });
    expect(sm.commandCalls(DescribeSecretCommand)).toHaveLength(1);
    const reads = sm.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input);
    expect(reads).toEqual(
      expect.arrayContaining([
        { SecretId: 's', VersionId: 'v1' },
        { SecretId: 's', VersionId: 'v2' },
      ]),
    );
    expect(reads).toHaveLength(2);
  });

  it('serves the labels from memory within the TTL, and re-reads only the labels after it', async () => {
    const c = cache();
    await c.versions('s', STAGES);
    clock = 500;
    await c.versions('s', STAGES);
    expect(sm.commandCalls(DescribeSecretCommand)).toHaveLength(1);

    // A rotation: v3 is promoted; v2 becomes previous; v1 loses its label.
    state.versions = { v1: [], v2: ['AWSPREVIOUS'], v3: ['AWSCURRENT'] };
    state.values.v3 = '"three"';
    clock = 1000;
    expect(byId(await c.versions('s', STAGES))).toEqual({ v2: '"two"', v3: '"three"' });
    expect(sm.commandCalls(DescribeSecretCommand)).toHaveLength(2);
    // Values never change per version: only the new one is fetched.
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(3);
  });

  it('refresh re-reads the labels at once, and concurrent callers share one DescribeSecret', async () => {
    const c = cache();
    await c.versions('s', STAGES);
    await Promise.all(Array.from({ length: 20 }, () => c.versions('s', STAGES, { refresh: true })));
    expect(sm.commandCalls(DescribeSecretCommand)).toHaveLength(2);
  });

  it('asks again for a labelled version that had no value yet (AWSPENDING before createSecret)', async () => {
    state.versions.p = ['AWSPENDING'];
    const c = cache();
    expect(byId(await c.versions('s', STAGES)).p).toBeUndefined();
    state.values.p = '"pending"';
    expect(byId(await c.versions('s', STAGES, { refresh: true })).p).toBe('"pending"');
  });

  it('forgets a version value once the version is no longer labelled', async () => {
    const c = cache();
    await c.versions('s', STAGES);
    state.versions = { v1: [], v2: ['AWSCURRENT'] };
    await c.versions('s', STAGES, { refresh: true });
    state.versions = { v1: ['AWSPREVIOUS'], v2: ['AWSCURRENT'] };
    await c.versions('s', STAGES, { refresh: true });
    const v1Reads = sm
      .commandCalls(GetSecretValueCommand)
      .filter((call) => call.args[0].input.VersionId === 'v1');
    expect(v1Reads).toHaveLength(2);
  });

  it('invalidate(name) drops the labels too; access reports name the API call and never a value', async () => {
    const c = cache();
    await c.versions('s', STAGES);
    c.invalidate('s');
    await c.versions('s', STAGES);
    expect(sm.commandCalls(DescribeSecretCommand)).toHaveLength(2);
    expect(accesses.filter((a) => !a.cached).map((a) => a.call)).toEqual([
      'DescribeSecret',
      'GetSecretValue',
      'GetSecretValue',
      'DescribeSecret',
    ]);
    expect(JSON.stringify(accesses)).not.toContain('two');
  });
});

/** Answers held open until the test releases them, in the order the cache asked. */
function heldAnswers<T>() {
  const pending: { resolve: (value: T) => void }[] = [];
  return {
    next: () => new Promise<T>((resolve) => pending.push({ resolve })),
    get count() {
      return pending.length;
    },
    release(index: number, value: T) {
      const held = pending[index];
      if (!held) throw new Error(`no answer #${index} is held`);
      held.resolve(value);
    },
  };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('SecretCache.invalidate() with a fetch in flight (the rotation happened mid-fetch)', () => {
  beforeEach(() => sm.reset());

  it('a read after invalidate() starts a new fetch, and the earlier fetch, answering last, is not cached', async () => {
    const answers = heldAnswers<{ SecretString: string }>();
    sm.on(GetSecretValueCommand).callsFake(answers.next);
    const c = cache();

    const before = c.get('s'); // started before the rotation: will answer the old value
    await flush();
    c.invalidate('s'); // told the rotation finished (or the old credential got a 401)
    const after = c.get('s');
    await flush();
    expect(answers.count).toBe(2);

    answers.release(1, { SecretString: 'new' });
    expect(await after).toBe('new');
    answers.release(0, { SecretString: 'old' });
    expect(await before).toBe('old'); // its own caller asked before the invalidate
    expect(await c.get('s')).toBe('new');
    expect(await c.get('s')).toBe('new');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('the earlier fetch answering first is not cached either; readers meanwhile join the new fetch', async () => {
    const answers = heldAnswers<{ SecretString: string }>();
    sm.on(GetSecretValueCommand).callsFake(answers.next);
    const c = cache();

    const before = c.get('s');
    await flush();
    c.invalidate('s');
    const after = c.get('s');
    await flush();
    answers.release(0, { SecretString: 'old' });
    expect(await before).toBe('old');
    const joined = c.get('s'); // the old answer was not stored: this joins the new fetch
    await flush();
    expect(answers.count).toBe(2);
    answers.release(1, { SecretString: 'new' });
    expect(await Promise.all([after, joined])).toEqual(['new', 'new']);
    expect(await c.get('s')).toBe('new');
  });

  it('clear() drops fetches in flight for every secret', async () => {
    const answers = heldAnswers<{ SecretString: string }>();
    sm.on(GetSecretValueCommand).callsFake(answers.next);
    const c = cache();

    const before = c.get('a');
    await flush();
    c.clear();
    const after = c.get('a');
    await flush();
    answers.release(0, { SecretString: 'old' });
    answers.release(1, { SecretString: 'new' });
    expect([await before, await after]).toEqual(['old', 'new']);
    expect(await c.get('a')).toBe('new');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('labels: a DescribeSecret started before invalidate() neither serves later reads nor is kept', async () => {
    const described = heldAnswers<{ VersionIdsToStages: Record<string, string[]> }>();
    sm.on(DescribeSecretCommand).callsFake(described.next);
    sm.on(GetSecretValueCommand).callsFake(async (input: { VersionId?: string }) => ({
      SecretString: `value of ${input.VersionId}`,
    }));
    const c = cache();
    const ids = (versions: { versionId: string; stages: readonly string[] }[]) =>
      Object.fromEntries(versions.map((v) => [v.versionId, v.stages]));

    const before = c.versions('s', ['AWSCURRENT', 'AWSPREVIOUS']);
    await flush();
    c.invalidate('s');
    const after = c.versions('s', ['AWSCURRENT', 'AWSPREVIOUS']);
    await flush();
    expect(described.count).toBe(2);
    described.release(1, { VersionIdsToStages: { v1: ['AWSPREVIOUS'], v2: ['AWSCURRENT'] } });
    described.release(0, { VersionIdsToStages: { v1: ['AWSCURRENT'] } });
    expect(ids(await before)).toEqual({ v1: ['AWSCURRENT'] });
    expect(ids(await after)).toEqual({ v1: ['AWSPREVIOUS'], v2: ['AWSCURRENT'] });
    expect(ids(await c.versions('s', ['AWSCURRENT', 'AWSPREVIOUS']))).toEqual({
      v1: ['AWSPREVIOUS'],
      v2: ['AWSCURRENT'],
    });
    expect(sm.commandCalls(DescribeSecretCommand)).toHaveLength(2);
  });
});
