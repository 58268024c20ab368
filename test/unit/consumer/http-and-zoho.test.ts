import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { bearerFetch } from '../../../packages/consumer/src/http';
import { isReplayable } from '../../../packages/consumer/src/http/replay';
import type { RetryEvent } from '../../../packages/consumer/src/retry';
import { SecretCache } from '../../../packages/consumer/src/secret-cache';
import {
  ZohoForeignUrlError,
  ZohoTokenExpiredError,
  ZohoTokenProvider,
} from '../../../packages/consumer/src/zoho';

const sm = mockClient(SecretsManagerClient);
/** What Secrets Manager holds as AWSCURRENT; tests change it to play a rotation. */
let current: Record<string, unknown>;
let retries: RetryEvent['reason'][];

beforeEach(() => {
  sm.reset();
  retries = [];
  sm.on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' }).callsFake(async () => ({
    SecretString: JSON.stringify(current),
  }));
});

interface Sent {
  url: string;
  authorization: string | null;
  body: string;
}

/** A receiver that accepts one token; records what it was sent. */
function receiver(
  accepted: () => string,
  answer401: () => Response = () => new Response('', { status: 401 }),
) {
  const sent: Sent[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const request = new Request(input, init);
    const authorization = request.headers.get('authorization');
    sent.push({ url: request.url, authorization, body: await request.text() });
    const token = authorization?.replace(/^(Bearer|Zoho-oauthtoken) /, '');
    return token === accepted() ? new Response('{"ok":true}', { status: 200 }) : answer401();
  };
  return { sent, fetch };
}

describe('bearerFetch', () => {
  const cache = () => new SecretCache({ client: new SecretsManagerClient({}) });

  it('sends the AWSCURRENT token; a 401 after a rotation re-reads it and sends once more', async () => {
    current = { token: 'old' };
    let valid = 'old';
    const server = receiver(() => valid);
    const send = bearerFetch({
      cache: cache(),
      secretId: 's',
      fetch: server.fetch,
      onRetry: (e) => retries.push(e.reason),
    });
    expect((await send('https://hooks.example/a', { method: 'POST', body: 'one' })).status).toBe(200);
    current = { token: 'new' };
    valid = 'new';
    expect((await send('https://hooks.example/a', { method: 'POST', body: 'two' })).status).toBe(200);
    expect(server.sent.map((s) => [s.authorization, s.body])).toEqual([
      ['Bearer old', 'one'],
      ['Bearer old', 'two'],
      ['Bearer new', 'two'],
    ]);
    expect(retries).toEqual(['unauthorized']);
  });

  it('keeps the caller headers and replays a Request body from a clone', async () => {
    current = { token: 'new' };
    const server = receiver(() => 'new');
    const c = cache();
    current = { token: 'old' };
    await c.get('s'); // cached: old
    current = { token: 'new' };
    const send = bearerFetch({ cache: c, secretId: 's', fetch: server.fetch });
    const request = new Request('https://hooks.example/b', {
      method: 'POST',
      headers: { 'X-Trace': '7' },
      body: 'payload',
    });
    expect((await send(request)).status).toBe(200);
    expect(server.sent.map((s) => s.body)).toEqual(['payload', 'payload']);
  });

  it('returns a 401 as is when the token did not change, and does not retry a streamed body', async () => {
    current = { token: 'same' };
    const server = receiver(() => 'other');
    const send = bearerFetch({
      cache: cache(),
      secretId: 's',
      fetch: server.fetch,
      onRetry: (e) => retries.push(e.reason),
    });
    expect((await send('https://hooks.example/c', { method: 'POST', body: 'x' })).status).toBe(401);
    expect(server.sent).toHaveLength(1);
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode('streamed'));
        c.close();
      },
    });
    expect(isReplayable({ body: stream })).toBe(false);
    expect(isReplayable({ body: new URLSearchParams('a=1') })).toBe(true);
    expect(isReplayable({ body: new Uint8Array([1]) })).toBe(true);
    expect(retries).toEqual([]);
  });

  it('names the secret, never the value, when the token field is missing', async () => {
    current = { tokn: 'sekrit-value' };
    const send = bearerFetch({ cache: cache(), secretId: 'hooks/bearer', fetch: receiver(() => '').fetch });
    await expect(send('https://hooks.example/d')).rejects.toThrow(
      'secret hooks/bearer AWSCURRENT has no `token` string',
    );
    await expect(send('https://hooks.example/d')).rejects.not.toThrow(/sekrit/);
  });
});

describe('ZohoTokenProvider', () => {
  const HOUR = 3600_000;
  let now: number;
  const zohoSecret = (accessToken: string, expiresAt: number) => ({
    access_token: accessToken,
    api_domain: 'https://www.zohoapis.eu',
    expires_at: new Date(expiresAt).toISOString(),
    refresh_token: 'never-used-here',
  });
  const invalidToken = () =>
    new Response(JSON.stringify({ code: 'INVALID_TOKEN', status: 'error' }), { status: 401 });
  const provider = (fetch: ReturnType<typeof receiver>['fetch']) =>
    new ZohoTokenProvider({
      cache: new SecretCache({ client: new SecretsManagerClient({}), now: () => now }),
      secretId: 'crm/zoho',
      fetch,
      now: () => now,
      onRetry: (e) => retries.push(e.reason),
    });

  beforeEach(() => {
    now = Date.parse('2026-03-01T10:00:00Z');
  });

  it('sends Zoho-oauthtoken to the api_domain; INVALID_TOKEN after a revoke re-reads once', async () => {
    current = zohoSecret('1000.old', now + HOUR);
    let valid = '1000.old';
    const server = receiver(() => valid, invalidToken);
    const crm = provider(server.fetch);
    expect((await crm.fetch('/crm/v8/Leads')).status).toBe(200);
    current = zohoSecret('1000.new', now + HOUR);
    valid = '1000.new';
    expect((await crm.fetch('/crm/v8/Leads')).status).toBe(200);
    expect(server.sent.map((s) => `${s.url} ${s.authorization}`)).toEqual([
      'https://www.zohoapis.eu/crm/v8/Leads Zoho-oauthtoken 1000.old',
      'https://www.zohoapis.eu/crm/v8/Leads Zoho-oauthtoken 1000.old',
      'https://www.zohoapis.eu/crm/v8/Leads Zoho-oauthtoken 1000.new',
    ]);
    expect(retries).toEqual(['invalid-token']);
  });

  it('does not retry other 401 codes', async () => {
    current = zohoSecret('1000.a', now + HOUR);
    const scope = () => new Response(JSON.stringify({ code: 'OAUTH_SCOPE_MISMATCH' }), { status: 401 });
    const server = receiver(() => 'none', scope);
    expect((await provider(server.fetch).fetch('/crm/v8/Leads')).status).toBe(401);
    expect(server.sent).toHaveLength(1);
    expect(retries).toEqual([]);
  });

  it('re-reads the secret near expires_at, and refuses to send a token past it', async () => {
    current = zohoSecret('1000.first', now + HOUR);
    const server = receiver(() => current.access_token as string, invalidToken);
    const crm = provider(server.fetch);
    expect((await crm.token()).accessToken).toBe('1000.first');
    // The rotation stored a newer token; within a minute of expiry the provider looks for it.
    current = zohoSecret('1000.second', now + 2 * HOUR);
    now += HOUR - 30_000;
    expect((await crm.token()).accessToken).toBe('1000.second');
    // Past the second one's expiry, nothing newer: an error naming the secret, and no request.
    now += 2 * HOUR;
    await expect(crm.fetch('/crm/v8/Leads')).rejects.toThrow(ZohoTokenExpiredError);
    await expect(crm.token()).rejects.toThrow(
      /secret crm\/zoho AWSCURRENT expired at .* check that its rotation runs/,
    );
    expect(server.sent).toEqual([]);
  });

  it('sends the token to the api_domain only', async () => {
    current = zohoSecret('1000.a', now + HOUR);
    const server = receiver(() => '1000.a');
    await expect(provider(server.fetch).fetch('https://evil.example/crm/v8/Leads')).rejects.toThrow(
      ZohoForeignUrlError,
    );
    expect(server.sent).toEqual([]);
  });
});
