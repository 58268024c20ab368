import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { callCrm, createZohoTenant, mintDirectly } from '../../../dev/targets/zoho/tenant';
import { startZohoServer, type ZohoServer } from '../../../dev/targets/zoho/server';

/**
 * The local Zoho itself: every rotator test relies on it behaving like Zoho's documentation says,
 * so its behaviours are pinned here, over real HTTP.
 */
let zoho: ZohoServer;
beforeAll(async () => {
  zoho = await startZohoServer();
});
afterAll(() => zoho.stop());
afterEach(() =>
  zoho.configure({ rateLimitStatus: 400, legacyExpiry: false, accessTokenRevocation: 'revokes' }),
);

async function tokenCall(init: { query?: Record<string, string>; body?: URLSearchParams | FormData }) {
  const url = new URL('/oauth/v2/token', zoho.url);
  for (const [k, v] of Object.entries(init.query ?? {})) url.searchParams.set(k, v);
  const response = await fetch(url, { method: 'POST', ...(init.body ? { body: init.body } : {}) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function refreshParams(tenant: Awaited<ReturnType<typeof createZohoTenant>>): Record<string, string> {
  return {
    grant_type: 'refresh_token',
    client_id: tenant.client.clientId,
    client_secret: tenant.client.clientSecret,
    refresh_token: tenant.refreshToken,
  };
}

describe('local Zoho token endpoint', () => {
  it('reads parameters from the query string, an urlencoded form and a multipart form', async () => {
    const tenant = await createZohoTenant(zoho);
    const params = refreshParams(tenant);
    const multipart = new FormData();
    for (const [k, v] of Object.entries(params)) multipart.set(k, v);

    const answers = [
      await tokenCall({ query: params }),
      await tokenCall({ body: new URLSearchParams(params) }),
      await tokenCall({ body: multipart }),
    ];
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, api_domain: zoho.url });
      expect(answer.body.access_token).toMatch(/^1000\.[0-9a-f]{32}\.[0-9a-f]{32}$/);
    }
    expect(zoho.mintsFor(tenant.refreshToken)).toBe(3);
  });

  it('answers errors with HTTP 200 and an error code', async () => {
    const tenant = await createZohoTenant(zoho);
    const params = refreshParams(tenant);
    const cases: [Record<string, string>, string][] = [
      [{ ...params, client_id: '1000.UNKNOWN' }, 'invalid_client'],
      [{ ...params, client_secret: 'wrong' }, 'invalid_client_secret'],
      [{ ...params, refresh_token: '1000.not.a-token' }, 'invalid_code'],
      [{ ...params, grant_type: 'password' }, 'unsupported_grant_type'],
    ];
    for (const [query, error] of cases) {
      expect(await tokenCall({ body: new URLSearchParams(query) })).toEqual({ status: 200, body: { error } });
    }
    const other = await createZohoTenant(zoho);
    const foreign = { ...params, refresh_token: other.refreshToken };
    expect((await tokenCall({ body: new URLSearchParams(foreign) })).body).toEqual({ error: 'invalid_code' });
    expect(zoho.mintsFor(tenant.refreshToken)).toBe(0);
  });

  it('mints 10 access tokens per refresh token in 10 minutes, then answers "Access Denied" until the window passes', async () => {
    const tenant = await createZohoTenant(zoho);
    for (let i = 0; i < 10; i++) await mintDirectly(zoho, tenant.client, tenant.refreshToken);
    const denied = await tokenCall({ body: new URLSearchParams(refreshParams(tenant)) });
    expect(denied).toEqual({
      status: 400,
      body: {
        error_description: 'You have made too many requests continuously. Please try again after some time.',
        error: 'Access Denied',
        status: 'failure',
      },
    });
    zoho.configure({ rateLimitStatus: 200 });
    expect((await tokenCall({ body: new URLSearchParams(refreshParams(tenant)) })).status).toBe(200);
    expect(zoho.mintsFor(tenant.refreshToken)).toBe(10);

    zoho.advanceTime(10 * 60 * 1000 + 1);
    expect(
      (await tokenCall({ body: new URLSearchParams(refreshParams(tenant)) })).body.access_token,
    ).toBeTruthy();
    expect(zoho.mintsFor(tenant.refreshToken)).toBe(11);
  });

  it('keeps 15 active access tokens per refresh token: the 16th invalidates the oldest', async () => {
    const tenant = await createZohoTenant(zoho);
    const tokens: string[] = [];
    for (let i = 0; i < 16; i++) {
      if (i === 10) zoho.advanceTime(10 * 60 * 1000 + 1);
      tokens.push((await mintDirectly(zoho, tenant.client, tenant.refreshToken)).access_token);
    }
    expect(zoho.activeAccessTokens(tenant.refreshToken)).toBe(15);
    expect(await callCrm(zoho, tokens[0] ?? '')).toEqual({ status: 401, code: 'INVALID_TOKEN' });
    expect((await callCrm(zoho, tokens[1] ?? '')).status).toBe(200);
  });

  it('answers the older lifetime fields when asked: expires_in_sec in seconds, expires_in in milliseconds', async () => {
    zoho.configure({ legacyExpiry: true });
    const tenant = await createZohoTenant(zoho);
    const answer = await tokenCall({ body: new URLSearchParams(refreshParams(tenant)) });
    expect(answer.body).toMatchObject({ expires_in_sec: 3600, expires_in: 3_600_000 });
  });

  it('exchanges a grant code once for a refresh token', async () => {
    const tenant = await createZohoTenant(zoho);
    const code = zoho.createGrantCode(tenant.client);
    const params = {
      grant_type: 'authorization_code',
      client_id: tenant.client.clientId,
      client_secret: tenant.client.clientSecret,
      code,
    };
    const first = await tokenCall({ body: new URLSearchParams(params) });
    expect(first.body.refresh_token).toMatch(/^1000\./);
    expect(first.body.access_token).toMatch(/^1000\./);
    expect((await tokenCall({ body: new URLSearchParams(params) })).body).toEqual({ error: 'invalid_code' });
  });
});

describe('local Zoho revocation', () => {
  it('revokes a refresh token with every access token minted from it', async () => {
    const tenant = await createZohoTenant(zoho);
    const { access_token } = await mintDirectly(zoho, tenant.client, tenant.refreshToken);
    const revoke = await fetch(`${zoho.url}/oauth/v2/token/revoke?token=${tenant.refreshToken}`, {
      method: 'POST',
    });
    expect(revoke.status).toBe(200);
    expect(await revoke.json()).toEqual({ status: 'success' });
    expect(await callCrm(zoho, access_token)).toEqual({ status: 401, code: 'INVALID_TOKEN' });
    expect((await tokenCall({ body: new URLSearchParams(refreshParams(tenant)) })).body).toEqual({
      error: 'invalid_code',
    });
    const again = await fetch(`${zoho.url}/oauth/v2/token/revoke?token=${tenant.refreshToken}`, {
      method: 'POST',
    });
    expect(again.status).toBe(400);
  });

  it('treats an access token as configured: revoked, refused with 400, or acknowledged and kept', async () => {
    const tenant = await createZohoTenant(zoho);
    const outcomes: [string, number, number][] = [];
    for (const mode of ['revokes', 'refuses', 'ignores'] as const) {
      zoho.configure({ accessTokenRevocation: mode });
      const { access_token } = await mintDirectly(zoho, tenant.client, tenant.refreshToken);
      const revoke = await fetch(`${zoho.url}/oauth/v2/token/revoke?token=${access_token}`, {
        method: 'POST',
      });
      outcomes.push([mode, revoke.status, (await callCrm(zoho, access_token)).status]);
    }
    expect(outcomes).toEqual([
      ['revokes', 200, 401],
      ['refuses', 400, 200],
      ['ignores', 200, 200],
    ]);
  });
});

describe('local Zoho CRM current-user endpoint', () => {
  it('answers the user for a live token and the documented 401 bodies otherwise', async () => {
    const tenant = await createZohoTenant(zoho);
    const { access_token } = await mintDirectly(zoho, tenant.client, tenant.refreshToken);
    const ok = await fetch(`${zoho.url}/crm/v8/users?type=CurrentUser`, {
      headers: { Authorization: `Zoho-oauthtoken ${access_token}` },
    });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { users: { id: string }[] }).users[0]?.id).toMatch(/^\d+$/);

    const bearer = await fetch(`${zoho.url}/crm/v8/users?type=CurrentUser`, {
      headers: { Authorization: `Bearer ${access_token}` },
    });
    expect(bearer.status).toBe(401);
    expect(await bearer.json()).toEqual({
      code: 'AUTHENTICATION_FAILURE',
      details: {},
      message: 'Authentication failed',
      status: 'error',
    });

    const narrow = await createZohoTenant(zoho, { scopes: ['ZohoCRM.modules.ALL'] });
    const narrowToken = await mintDirectly(zoho, narrow.client, narrow.refreshToken);
    expect(await callCrm(zoho, narrowToken.access_token)).toEqual({
      status: 401,
      code: 'OAUTH_SCOPE_MISMATCH',
    });

    zoho.advanceTime(3600 * 1000);
    expect(await callCrm(zoho, access_token)).toEqual({ status: 401, code: 'INVALID_TOKEN' });
  });
});
