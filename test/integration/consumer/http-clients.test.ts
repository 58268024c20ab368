import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerFetch } from '../../../packages/consumer/src/http';
import { protectedResourceMetadataUrl } from '../../../packages/consumer/src/mcp';
import type { RetryEvent } from '../../../packages/consumer/src/retry';
import { SecretCache } from '../../../packages/consumer/src/secret-cache';
import { ZohoTokenExpiredError, ZohoTokenProvider } from '../../../packages/consumer/src/zoho';
import { LocalLambda } from '../../../dev/aws/local-lambda';
import { RotationDriver } from '../../../dev/aws/rotation-driver';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import { listen } from '../../../dev/lib/http-server';
import { startMcpStack, startWebhookStack } from '../../../dev/targets/bearer-stacks';
import { startZohoServer, type ZohoServer } from '../../../dev/targets/zoho/server';
import { createZohoTenant } from '../../../dev/targets/zoho/tenant';

/**
 * The HTTP helpers against the local receivers while the built functions rotate and revoke: a
 * webhook sender and an MCP client on bearerFetch, the MCP server's 401 challenge and metadata
 * (MCP 2025-06-18 authorization, RFC 6750, RFC 9728), and the Zoho token provider.
 */
const admin = new SecretsAdmin();
const driver = new RotationDriver({ attemptsPerStep: 1 });
const lambdas: Record<string, LocalLambda> = {};
const stops: (() => Promise<unknown>)[] = [];
let zoho: ZohoServer;

beforeAll(async () => {
  const [webhook, mcp, zohoFn] = await Promise.all(
    ['webhook-bearer', 'mcp-token', 'zoho-oauth'].map((name) => LocalLambda.start(name)),
  );
  Object.assign(lambdas, { webhook, mcp, zoho: zohoFn });
  zoho = await startZohoServer();
});

afterAll(async () => {
  await Promise.all(stops.map((stop) => stop().catch(() => undefined)));
  await Promise.all(Object.values(lambdas).map((lambda) => lambda.stop()));
  await zoho?.stop();
});

const invoker = (kind: string) => (event: object) => (lambdas[kind] as LocalLambda).invoke(event);
const revoke = (kind: string, secretId: string) =>
  invoker(kind)({ Action: 'revokePrevious', SecretId: secretId, Reason: 'test' });

function recorder() {
  const retries: RetryEvent['reason'][] = [];
  return { retries, onRetry: (event: RetryEvent) => retries.push(event.reason) };
}

async function webhookAfterRevoke() {
  const stack = await startWebhookStack({ admin, ttlMs: 60_000, minRefreshIntervalMs: 20 });
  stops.push(() => stack.stop());
  const { retries, onRetry } = recorder();
  const send = bearerFetch({ cache: new SecretCache({ ttlMs: 60_000 }), secretId: stack.secretId, onRetry });
  const post = (init: RequestInit = {}) =>
    send(stack.receiver.url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, ...init });
  expect((await post({ body: '{"type":"ping"}' })).status).toBe(200);
  await driver.rotate(stack.secretId, invoker('webhook'));
  await revoke('webhook', stack.secretId);
  stack.verifier.invalidate(); // the receiver was told: the old token is refused from now on
  return { stack, send, post, retries };
}

describe('bearerFetch (webhook sender)', () => {
  it('after a revoke, a 401 re-reads the secret and the request goes once more with the new token', async () => {
    const { stack, post, retries } = await webhookAfterRevoke();
    const response = await post({ body: JSON.stringify({ type: 'deal.updated' }) });
    expect(response.status).toBe(200);
    expect(retries).toEqual(['unauthorized']);
    expect((await post({ body: '{}' })).status).toBe(200);
    expect(retries).toEqual(['unauthorized']);
    expect(stack.receiver.counters.rejected).toBe(1);
  });

  it('a Request with a body is replayed from a clone', async () => {
    const { stack, send, retries } = await webhookAfterRevoke();
    const request = new Request(stack.receiver.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"type":"deal.created"}',
    });
    expect((await send(request)).status).toBe(200);
    expect(retries).toEqual(['unauthorized']);
  });

  it('a streamed body cannot be sent twice: its 401 is returned, and the next request carries the new token', async () => {
    const { post, retries } = await webhookAfterRevoke();
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"type":"big"}'));
        controller.close();
      },
    });
    const response = await post({ body: stream, duplex: 'half' } as RequestInit);
    expect(response.status).toBe(401);
    expect(retries).toEqual([]);
    expect((await post({ body: '{}' })).status).toBe(200);
    expect(retries).toEqual([]);
  });

  it('a 401 to the token AWSCURRENT still holds is returned as is, without a second request', async () => {
    let requests = 0;
    const server = await listen(async (_req, res) => {
      requests++;
      res.writeHead(401, { 'WWW-Authenticate': 'Bearer error="invalid_token"' }).end();
    });
    stops.push(() => server.stop());
    const secretId = await admin.create(admin.uniqueName('webhooks', 'bearer'), { token: 'whk_same' });
    const { retries, onRetry } = recorder();
    const send = bearerFetch({ cache: new SecretCache(), secretId, onRetry });
    expect((await send(server.origin, { method: 'POST', body: 'x' })).status).toBe(401);
    expect(requests).toBe(1);
    expect(retries).toEqual([]);
  });
});

describe('MCP: bearerFetch in the SDK client, McpBearerAuth in the server', () => {
  it('an agent holding one session rides through a rotation and a revoke with one retry', async () => {
    const stack = await startMcpStack({ admin, ttlMs: 60_000, minRefreshIntervalMs: 20 });
    stops.push(() => stack.stop());
    const { retries, onRetry } = recorder();
    const transport = new StreamableHTTPClientTransport(new URL(stack.server.url), {
      fetch: bearerFetch({ cache: new SecretCache({ ttlMs: 60_000 }), secretId: stack.secretId, onRetry }),
    });
    const client = new Client({ name: 'consumer-test', version: '1.0.0' });
    await client.connect(transport);
    stops.push(() => client.close());
    const whoami = async () => {
      const result = await client.callTool({ name: 'whoami' });
      const [first] = result.content as { text: string }[];
      return (JSON.parse(first?.text ?? '{}') as { stage: string }).stage;
    };
    expect(await whoami()).toBe('AWSCURRENT');
    await driver.rotate(stack.secretId, invoker('mcp'));
    // Still the old token (the client's cache is young), which the server accepts.
    expect(await whoami()).toMatch(/^AWS(CURRENT|PREVIOUS)$/);
    await revoke('mcp', stack.secretId);
    stack.verifier.invalidate();
    expect(await whoami()).toBe('AWSCURRENT');
    expect(retries).toEqual(['unauthorized']);
  });

  it('answers 401 with resource_metadata, adds invalid_token only when a token was sent, and serves the metadata', async () => {
    const stack = await startMcpStack({ admin, ttlMs: 60_000 });
    stops.push(() => stack.stop());
    const metadataUrl = protectedResourceMetadataUrl(stack.server.url).href;
    expect(metadataUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp$/);
    const post = (headers: Record<string, string>) =>
      fetch(stack.server.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...headers },
      });

    const missing = await post({});
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${metadataUrl}"`);
    const wrong = await post({ Authorization: 'Bearer mcp_not-a-token' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${metadataUrl}", error="invalid_token", error_description="the bearer token is not valid"`,
    );
    expect(await wrong.json()).toEqual({
      error: 'invalid_token',
      error_description: 'the bearer token is not valid',
    });

    const metadata = await fetch(metadataUrl);
    expect(metadata.status).toBe(200);
    expect(metadata.headers.get('content-type')).toBe('application/json');
    expect(await metadata.json()).toEqual({
      resource: stack.server.url,
      authorization_servers: [new URL(stack.server.url).origin],
      bearer_methods_supported: ['header'],
    });
  });
});

describe('ZohoTokenProvider', () => {
  async function zohoSecret() {
    const tenant = await createZohoTenant(zoho, { withAccessToken: true });
    const secretId = await admin.create(admin.uniqueName('crm', 'zoho'), tenant.secret);
    return { tenant, secretId };
  }
  const tokenRequests = () => zoho.requests.filter((r) => r.path.startsWith('/oauth/v2/token')).length;

  it('calls the CRM with the token the rotation minted; after a revoke, INVALID_TOKEN re-reads it once', async () => {
    const { secretId } = await zohoSecret();
    const { retries, onRetry } = recorder();
    const crm = new ZohoTokenProvider({ cache: new SecretCache({ ttlMs: 60_000 }), secretId, onRetry });
    const mintsBefore = tokenRequests();
    expect((await crm.fetch('/crm/v8/users?type=CurrentUser')).status).toBe(200);
    await driver.rotate(secretId, invoker('zoho'));
    expect((await crm.fetch('/crm/v8/users?type=CurrentUser')).status).toBe(200);
    await revoke('zoho', secretId); // revokes the previous access token at Zoho
    const response = await crm.fetch('/crm/v8/users?type=CurrentUser');
    expect(response.status).toBe(200);
    expect(retries).toEqual(['invalid-token']);
    // The rotation minted once and revoked once; the provider itself never asked for a token.
    expect(tokenRequests() - mintsBefore).toBe(2);
  });

  it('past expires_at with nothing newer it refuses to send the token, and never mints one', async () => {
    const { secretId } = await zohoSecret();
    let now = Date.now();
    const crm = new ZohoTokenProvider({
      cache: new SecretCache({ ttlMs: 60_000 }),
      secretId,
      now: () => now,
    });
    expect((await crm.fetch('/crm/v8/users?type=CurrentUser')).status).toBe(200);
    const before = zoho.requests.length;
    now += 2 * 3600 * 1000;
    await expect(crm.fetch('/crm/v8/users?type=CurrentUser')).rejects.toThrow(ZohoTokenExpiredError);
    expect(zoho.requests.length).toBe(before);
  });

  it('sends the token only to the secret api_domain', async () => {
    const { secretId } = await zohoSecret();
    const crm = new ZohoTokenProvider({ cache: new SecretCache(), secretId });
    await expect(crm.fetch('https://attacker.example/crm/v8/users')).rejects.toThrow(
      /is not the secret's api_domain/,
    );
  });
});
