import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { BearerVerifier, bearerTokenFrom } from '../../../packages/consumer/src/bearer-verifier';
import { SecretCache } from '../../../packages/consumer/src/secret-cache';
import { type FakeSecretState, mockSecret } from '../../support/mock-secrets';

const sm = mockClient(SecretsManagerClient);
const TTL_MS = 60_000;
const REFRESH_MS = 1_000;
let clock: number;
let state: FakeSecretState;
let problems: string[];

const secret = (token: string, extra: Record<string, unknown> = {}) => JSON.stringify({ token, ...extra });

function verifier(options: { refreshMs?: number } = {}) {
  const now = () => clock;
  return new BearerVerifier({
    secretId: 's',
    cache: new SecretCache({ ttlMs: TTL_MS, now, client: new SecretsManagerClient({}) }),
    minRefreshIntervalMs: options.refreshMs ?? REFRESH_MS,
    onProblem: (problem) => problems.push(problem),
    now,
  });
}

const describes = () => sm.commandCalls(DescribeSecretCommand).length;

beforeEach(() => {
  sm.reset();
  clock = 1_000_000;
  problems = [];
  state = {
    versions: { v1: ['AWSPREVIOUS'], v2: ['AWSCURRENT'], v3: ['AWSPENDING'], v0: [] },
    values: {
      v0: secret('tok-retired'),
      v1: secret('tok-previous', { verify_url: 'https://x' }),
      v2: secret('tok-current', { verify_url: 'https://x' }),
      v3: secret('tok-pending'),
    },
  };
  mockSecret(sm, state);
});

describe('BearerVerifier', () => {
  it('accepts the AWSCURRENT, AWSPREVIOUS and AWSPENDING tokens and says which label matched', async () => {
    const v = verifier();
    expect(await v.verify('tok-current')).toMatchObject({ ok: true, stage: 'AWSCURRENT', versionId: 'v2' });
    expect(await v.verify('tok-previous')).toMatchObject({ ok: true, stage: 'AWSPREVIOUS', versionId: 'v1' });
    expect(await v.verify('tok-pending')).toMatchObject({ ok: true, stage: 'AWSPENDING', versionId: 'v3' });
  });

  it('rejects a token from an unlabelled version and any other string', async () => {
    const v = verifier();
    expect(await v.verify('tok-retired')).toEqual({
      ok: false,
      reason: 'unknown',
      description: 'the bearer token is not valid',
    });
    expect(await v.verify('tok-current-but-longer')).toMatchObject({ ok: false, reason: 'unknown' });
    expect(await v.verify('tok-curren')).toMatchObject({ ok: false, reason: 'unknown' });
  });

  it('hands back the other keys of the secret as claims, never the token', async () => {
    const result = await verifier().verify('tok-current');
    expect(result).toMatchObject({ ok: true, claims: { verify_url: 'https://x' } });
    expect(JSON.stringify(result)).not.toContain('tok-current');
  });

  it('serves known tokens from the cache: no Secrets Manager call per request', async () => {
    const v = verifier();
    for (let i = 0; i < 50; i++) await v.verify(i % 2 ? 'tok-current' : 'tok-previous');
    expect(describes()).toBe(1);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(3);
  });

  it('re-reads the labels at once for an unknown token, so a brand-new pending token is accepted', async () => {
    const v = verifier();
    await v.verify('tok-current');
    state.versions.v4 = ['AWSPENDING'];
    state.values.v4 = secret('tok-brand-new');
    clock += REFRESH_MS;
    expect(await v.verify('tok-brand-new')).toMatchObject({ ok: true, stage: 'AWSPENDING' });
    expect(describes()).toBe(2);
  });

  it('refreshes at most once per interval however many garbage tokens arrive', async () => {
    const v = verifier();
    await v.verify('tok-current');
    const garbage = Array.from({ length: 200 }, (_, i) => `garbage-${i}`);
    const results = await Promise.all(garbage.map((token) => v.verify(token)));
    expect(results.every((result) => !result.ok)).toBe(true);
    expect(describes()).toBe(2);
    clock += REFRESH_MS - 1;
    await v.verify('more-garbage');
    expect(describes()).toBe(2);
    clock += 1;
    await v.verify('more-garbage');
    expect(describes()).toBe(3);
  });

  it('concurrent unknown tokens share one refresh and all see its result', async () => {
    const v = verifier();
    await v.verify('tok-current');
    state.versions.v4 = ['AWSPENDING'];
    state.values.v4 = secret('tok-brand-new');
    clock += REFRESH_MS;
    const results = await Promise.all(Array.from({ length: 10 }, () => v.verify('tok-brand-new')));
    expect(results.every((result) => result.ok)).toBe(true);
    expect(describes()).toBe(2);
  });

  it('keeps accepting a token whose label was removed until the cache refreshes; invalidate() ends that', async () => {
    const v = verifier();
    expect((await v.verify('tok-previous')).ok).toBe(true);
    state.versions.v1 = [];
    expect((await v.verify('tok-previous')).ok).toBe(true);
    clock += TTL_MS;
    expect(await v.verify('tok-previous')).toMatchObject({ ok: false, reason: 'unknown' });

    state.versions.v2 = [];
    state.versions.v3 = ['AWSCURRENT'];
    expect((await v.verify('tok-current')).ok).toBe(true);
    v.invalidate();
    expect((await v.verify('tok-current')).ok).toBe(false);
  });

  it('honours expires_at: an expired token is rejected as expired, a live one accepted with its expiry', async () => {
    state.values.v2 = secret('tok-current', { expires_at: new Date(clock + 1000).toISOString() });
    state.values.v1 = secret('tok-previous', { expires_at: new Date(clock - 1).toISOString() });
    const v = verifier();
    const current = await v.verify('tok-current');
    expect(current).toMatchObject({ ok: true, expiresAt: new Date(clock + 1000) });
    expect(await v.verify('tok-previous')).toEqual({
      ok: false,
      reason: 'expired',
      description: 'the bearer token has expired',
    });
    clock += 1000;
    expect(await v.verify('tok-current')).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('refuses a token whose expires_at cannot be read, and says so without the value', async () => {
    state.values.v2 = secret('tok-current', { expires_at: 'next tuesday' });
    state.values.v1 = secret('tok-previous', { expires_at: 1_900_000_000 });
    const v = verifier();
    expect(await v.verify('tok-current')).toMatchObject({ ok: false, reason: 'expired' });
    expect(await v.verify('tok-previous')).toMatchObject({ ok: false, reason: 'expired' });
    expect(problems.join('\n')).toContain('unreadable `expires_at`');
    expect(problems.join('\n')).not.toContain('tok-');
  });

  it('skips a version that is not usable JSON and still accepts the others', async () => {
    state.values.v1 = 'not json tok-previous';
    state.values.v3 = JSON.stringify({ password: 'x' });
    const v = verifier();
    expect((await v.verify('tok-current')).ok).toBe(true);
    expect((await v.verify('not json tok-previous')).ok).toBe(false);
    expect(problems).toEqual([
      'secret s AWSPREVIOUS (version v1) is not valid JSON; its token is not accepted',
      'secret s AWSPENDING (version v3) has no `token` string; nothing to accept',
    ]);
  });

  it('ignores an AWSPENDING label whose version has no value yet', async () => {
    delete state.values.v3;
    expect((await verifier().verify('tok-current')).ok).toBe(true);
  });

  it('rejects a missing token without calling Secrets Manager', async () => {
    const v = verifier();
    expect(await v.verifyAuthorization(undefined)).toMatchObject({ ok: false, reason: 'missing' });
    expect(await v.verifyAuthorization('Basic dXNlcjpwYXNz')).toMatchObject({ ok: false, reason: 'missing' });
    expect(describes()).toBe(0);
  });

  it('reads the token field it is told to', async () => {
    state.values.v2 = JSON.stringify({ api_key: 'key-current' });
    const v = new BearerVerifier({
      secretId: 's',
      tokenField: 'api_key',
      cache: new SecretCache({ client: new SecretsManagerClient({}) }),
    });
    expect((await v.verify('key-current')).ok).toBe(true);
  });
});

describe('bearerTokenFrom', () => {
  it('takes the token of a Bearer Authorization header, scheme case-insensitive', () => {
    expect(bearerTokenFrom('Bearer abc.def-ghi')).toBe('abc.def-ghi');
    expect(bearerTokenFrom('bearer   abc ')).toBe('abc');
    expect(bearerTokenFrom(['Bearer first', 'Bearer second'])).toBe('first');
  });

  it('returns nothing for other schemes, an empty token or two tokens', () => {
    expect(bearerTokenFrom(undefined)).toBeUndefined();
    expect(bearerTokenFrom('Bearer')).toBeUndefined();
    expect(bearerTokenFrom('Bearer ')).toBeUndefined();
    expect(bearerTokenFrom('Basic abc')).toBeUndefined();
    expect(bearerTokenFrom('Bearer a b')).toBeUndefined();
  });
});
