import * as z from 'zod/mini';
import type { Deadline } from '../../shared/net/deadline';
import { httpRequest } from '../../shared/net/http';
import { rememberSecret } from '../../shared/observability/redaction';
import { TargetError } from '../../shared/errors';
import type { ClientCredentials } from './client-credentials';
import { checkApiDomain, endpoint } from './data-centres';
import { tokenError } from './errors';

/**
 * Zoho's token endpoint answers most errors with HTTP 200 and `{"error": "<code>"}`, and the
 * throttle with `{"error": "Access Denied", "error_description": "You have made too many requests
 * continuously..."}` (HTTP 400 in current answers, 200 in older ones). A success carries
 * `access_token`; `expires_in` is seconds, except in older answers that carry `expires_in_sec`
 * (seconds) and `expires_in` in milliseconds.
 */
const TokenResponseSchema = z.looseObject({
  access_token: z.optional(z.string()),
  refresh_token: z.optional(z.string()),
  api_domain: z.optional(z.string()),
  token_type: z.optional(z.string()),
  expires_in: z.optional(z.number()),
  expires_in_sec: z.optional(z.number()),
  error: z.optional(z.string()),
  error_description: z.optional(z.string()),
});
type TokenResponse = z.infer<typeof TokenResponseSchema>;

/** Zoho documents one hour. Anything beyond a day is a misread unit, not a long-lived token. */
const MAX_LIFETIME_SECONDS = 24 * 60 * 60;

export interface MintedToken {
  access_token: string;
  token_type: string;
  /** ISO-8601, computed from the answer's lifetime and the time the request was sent. */
  expires_at: string;
  lifetimeSeconds: number;
  /** The answer's api_domain, checked against the data centre allow-list; undefined if absent. */
  api_domain: string | undefined;
  /** Zoho does not return one on refresh; if it ever does, OAuth says the client must use it. */
  refresh_token: string | undefined;
}

export interface MintRequest {
  accountsServer: URL;
  client: ClientCredentials;
  refreshToken: string;
  deadline: Deadline;
  now?: () => number;
}

/** POST {accounts_server}/oauth/v2/token, grant_type=refresh_token, as a form body (never in the URL). */
export async function mintAccessToken(request: MintRequest): Promise<MintedToken> {
  const sentAt = (request.now ?? Date.now)();
  const { status, body } = await requestToken(request);
  if (body.access_token === undefined || body.error !== undefined) {
    throw tokenError(status, body, request);
  }
  return minted(body, body.access_token, sentAt, request.accountsServer);
}

/**
 * Whether Zoho still accepts this refresh token, asked the only way Zoho offers: a mint. `false` on
 * `invalid_code` (revoked, deleted or unknown); `true` when Zoho mints an access token, which is
 * dropped unused (never stored or logged; it dies within the hour); any other answer throws as a
 * mint would. Used to prove a revocation Zoho refused to confirm.
 */
export async function refreshTokenStillMints(request: MintRequest): Promise<boolean> {
  const { status, body } = await requestToken(request);
  rememberSecret(body.access_token);
  if (body.access_token !== undefined && body.error === undefined) return true;
  if (body.error === 'invalid_code') return false;
  throw tokenError(status, body, request);
}

async function requestToken(request: MintRequest): Promise<{ status: number; body: TokenResponse }> {
  const response = await httpRequest({
    method: 'POST',
    url: endpoint(request.accountsServer, '/oauth/v2/token'),
    purpose: 'Zoho token endpoint',
    field: '`accounts_server`',
    data: new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: request.client.clientId,
      client_secret: request.client.clientSecret,
      refresh_token: request.refreshToken,
    }),
    headers: { Accept: 'application/json' },
    deadline: request.deadline,
  });
  const body = TokenResponseSchema.safeParse(response.data);
  if (!body.success) {
    throw response.status === 429
      ? tokenError(429, {}, request)
      : unexpectedAnswer(response.status, request.accountsServer);
  }
  return { status: response.status, body: body.data };
}

function minted(body: TokenResponse, accessToken: string, sentAt: number, accountsServer: URL): MintedToken {
  rememberSecret(accessToken);
  rememberSecret(body.refresh_token);
  if (accessToken.length === 0) throw unexpectedAnswer(200, accountsServer);
  const lifetimeSeconds = lifetimeOf(body);
  if (lifetimeSeconds === undefined) {
    throw new TargetError(
      `Zoho token endpoint at ${accountsServer.host} answered an access token without a usable lifetime ` +
        '(expected expires_in in seconds, or expires_in_sec)',
      { retryable: true },
    );
  }
  return {
    access_token: accessToken,
    token_type: body.token_type || 'Bearer',
    // Counted from when the request was sent: the token cannot live longer than that.
    expires_at: new Date(sentAt + lifetimeSeconds * 1000).toISOString(),
    lifetimeSeconds,
    api_domain:
      body.api_domain === undefined
        ? undefined
        : checkApiDomain(body.api_domain, 'the api_domain in Zoho token answer').origin,
    refresh_token: body.refresh_token || undefined,
  };
}

function lifetimeOf(body: TokenResponse): number | undefined {
  const seconds = body.expires_in_sec ?? body.expires_in;
  if (seconds === undefined || !Number.isFinite(seconds)) return undefined;
  if (seconds <= 0 || seconds > MAX_LIFETIME_SECONDS) return undefined;
  return Math.floor(seconds);
}

function unexpectedAnswer(status: number, accountsServer: URL): TargetError {
  return new TargetError(
    `Zoho token endpoint at ${accountsServer.host} answered HTTP ${status} with a body that is not a token ` +
      'answer (is accounts_server right?)',
    { retryable: status >= 500 },
  );
}
