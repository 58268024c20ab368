import { DEFAULT_SCOPES, type ZohoClient, type ZohoServer } from './server';

/** What the demo, the bench and the tests need to rotate against the local Zoho. */
export interface ZohoTenant {
  client: ZohoClient;
  refreshToken: string;
  /** The secret value to create in Secrets Manager (first rotation fills in the access token). */
  secret: Record<string, string>;
}

export interface ZohoTenantOptions {
  scopes?: string[];
  /** Keep client_id/client_secret out of the rotated secret and name this secret instead. */
  clientSecretArn?: string;
  /** Mint a first access token now, so the secret starts as a complete token set. */
  withAccessToken?: boolean;
}

/** Register a client with the local Zoho, issue a refresh token, and build the secret JSON. */
export async function createZohoTenant(
  server: ZohoServer,
  options: ZohoTenantOptions = {},
): Promise<ZohoTenant> {
  const client = server.registerClient();
  const refreshToken = server.issueRefreshToken(client, { scopes: options.scopes ?? DEFAULT_SCOPES });
  const secret: Record<string, string> = {
    ...(options.clientSecretArn
      ? { client_secret_arn: options.clientSecretArn }
      : { client_id: client.clientId, client_secret: client.clientSecret }),
    refresh_token: refreshToken,
    accounts_server: server.url,
    api_domain: server.url,
  };
  if (options.withAccessToken) Object.assign(secret, await mintDirectly(server, client, refreshToken));
  return { client, refreshToken, secret };
}

/** Mint an access token the way any Zoho client would (counts against the refresh token's limits). */
export async function mintDirectly(
  server: ZohoServer,
  client: ZohoClient,
  refreshToken: string,
): Promise<{ access_token: string; token_type: string; expires_at: string }> {
  const response = await fetch(`${server.url}/oauth/v2/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: client.clientId,
      client_secret: client.clientSecret,
      refresh_token: refreshToken,
    }),
  });
  const body = (await response.json()) as { access_token?: string; expires_in?: number; error?: string };
  if (!body.access_token || body.expires_in === undefined) {
    throw new Error(`local Zoho refused to mint: ${body.error ?? response.status}`);
  }
  return {
    access_token: body.access_token,
    token_type: 'Bearer',
    // Real time, like the rotator: the server's clock may have been advanced by a test.
    expires_at: new Date(Date.now() + body.expires_in * 1000).toISOString(),
  };
}

/** GET the CRM current-user endpoint with a token; the HTTP status and Zoho's code. */
export async function callCrm(
  server: ZohoServer,
  accessToken: string,
): Promise<{ status: number; code?: string }> {
  const response = await fetch(`${server.url}/crm/v8/users?type=CurrentUser`, {
    headers: { Authorization: `Zoho-oauthtoken ${accessToken}` },
  });
  const body = (await response.json()) as { code?: string };
  return { status: response.status, ...(body.code ? { code: body.code } : {}) };
}
