import { randomBytes, randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local Zoho (Accounts + CRM) faithful to what Zoho documents, on one loopback port:
 *
 * - POST /oauth/v2/token: grant_type=refresh_token and authorization_code; parameters in the query
 *   string, an urlencoded form or a multipart form. Errors answer HTTP 200 with {"error": code}:
 *   invalid_client (unknown client_id), invalid_client_secret, invalid_code (unknown, revoked or
 *   foreign refresh token / grant code), unsupported_grant_type.
 * - Token limits (Zoho CRM "Token Validity"): at most 10 access tokens per refresh token in 10
 *   minutes, then "Access Denied" / "You have made too many requests continuously..." for the rest of
 *   the window; at most 15 active access tokens per refresh token, the 16th invalidates the oldest;
 *   access tokens live one hour; at most 20 refresh tokens per client, the 21st deletes the oldest
 *   (and its access tokens); grant codes are single-use and live 3 minutes.
 * - POST /oauth/v2/token/revoke?token=: a refresh token is revoked with every access token minted
 *   from it, {"status":"success"}; an unknown token answers HTTP 400. Zoho documents access-token
 *   revocation for JavaScript clients only, so what happens to an access token is an option.
 * - GET /crm/v8/users?type=CurrentUser with `Authorization: Zoho-oauthtoken <token>`: the user, or
 *   401 INVALID_TOKEN (unknown, expired, revoked), AUTHENTICATION_FAILURE (no Zoho-oauthtoken
 *   header), OAUTH_SCOPE_MISMATCH (grant without ZohoCRM.users.READ/ALL).
 *
 * Time is injectable (`now`) and can be advanced (`advanceTime`), so tests cross the 10-minute
 * window or a token's expiry without waiting.
 */
export interface ZohoServerOptions {
  /** Access tokens a refresh token may mint per window. Zoho: 10. */
  mintLimit?: number;
  /** The throttle window. Zoho: 10 minutes. */
  mintWindowMs?: number;
  /** Active (unexpired) access tokens per refresh token before the oldest is invalidated. Zoho: 15. */
  maxActiveAccessTokens?: number;
  /** Refresh tokens per client before the oldest is deleted. Zoho: 20. */
  maxRefreshTokensPerClient?: number;
  /** Access token lifetime. Zoho: 3600. */
  accessTokenTtlSeconds?: number;
  /** HTTP status of the throttle answer: 400 in current answers, 200 in older ones. */
  rateLimitStatus?: 200 | 400;
  /** Answer with the older lifetime fields: expires_in_sec (seconds) and expires_in (milliseconds). */
  legacyExpiry?: boolean;
  /** The api_domain token answers carry. Default: this server's own URL. */
  apiDomain?: string;
  /** Omit api_domain from token answers. */
  omitApiDomain?: boolean;
  /** What revoking an access token does: revoke it (default), answer 400, or answer success and keep it. */
  accessTokenRevocation?: 'revokes' | 'refuses' | 'ignores';
  /** What revoking a live refresh token does: revoke it (default, as documented) or answer 400 and keep it. */
  refreshTokenRevocation?: 'revokes' | 'refuses';
  /** The clock. Default Date.now; advanceTime() adds to it. */
  now?: () => number;
}

export interface ZohoClient {
  clientId: string;
  clientSecret: string;
}

export interface SeenRequest {
  method: string;
  path: string;
  at: number;
  /** grant_type of a token request; the auth scheme of a CRM request. Never a token value. */
  note?: string;
}

export interface ZohoServer {
  /** http://127.0.0.1:PORT: both the accounts server and the API domain. */
  readonly url: string;
  readonly requests: readonly SeenRequest[];
  stop(): Promise<void>;
  registerClient(): ZohoClient;
  /** A refresh token for a client, as the consent / self-client flow would produce. */
  issueRefreshToken(client: ZohoClient, options?: { scopes?: string[]; userId?: string }): string;
  /** A single-use grant code (3 minutes), what a person generates in the API console. */
  createGrantCode(client: ZohoClient, options?: { scopes?: string[]; userId?: string }): string;
  /** Revoke as the revoke endpoint would (the refresh token and all its access tokens). */
  revokeRefreshToken(refreshToken: string): void;
  advanceTime(ms: number): void;
  now(): number;
  /** Access tokens minted for this refresh token so far (the grant's first one included). */
  mintsFor(refreshToken: string): number;
  /** Access tokens of this refresh token that work right now. */
  activeAccessTokens(refreshToken: string): number;
  accessTokenWorks(accessToken: string): boolean;
  /** Change behaviour mid-test (e.g. start answering with a foreign api_domain). */
  configure(options: Partial<ZohoServerOptions>): void;
}

export const DEFAULT_SCOPES = ['ZohoCRM.modules.ALL', 'ZohoCRM.users.READ'];
const USERS_SCOPES = new Set(['ZohoCRM.users.READ', 'ZohoCRM.users.ALL']);
const GRANT_CODE_TTL_MS = 3 * 60 * 1000;
const RATE_LIMIT_BODY = {
  error_description: 'You have made too many requests continuously. Please try again after some time.',
  error: 'Access Denied',
  status: 'failure',
};

interface Grant {
  client: ZohoClient;
  scopes: string[];
  userId: string;
}

interface RefreshToken extends Grant {
  value: string;
  revoked: boolean;
  mints: number[];
  createdAt: number;
}

interface AccessToken {
  value: string;
  refreshToken: RefreshToken | undefined;
  scopes: string[];
  userId: string;
  expiresAt: number;
  invalidated: boolean;
}

const zohoToken = () => `1000.${randomBytes(16).toString('hex')}.${randomBytes(16).toString('hex')}`;
const crmId = () => `41508680000${String(randomInt(10 ** 8)).padStart(8, '0')}`;

class ZohoState {
  readonly clients = new Map<string, ZohoClient>();
  readonly refreshTokens = new Map<string, RefreshToken>();
  readonly accessTokens = new Map<string, AccessToken>();
  readonly grantCodes = new Map<string, Grant & { expiresAt: number; used: boolean }>();
  readonly requests: SeenRequest[] = [];
  offsetMs = 0;

  constructor(public options: ZohoServerOptions) {}

  now(): number {
    return (this.options.now ?? Date.now)() + this.offsetMs;
  }

  registerClient(): ZohoClient {
    const client = {
      clientId: `1000.${randomBytes(15).toString('hex').toUpperCase()}`,
      clientSecret: randomBytes(21).toString('hex'),
    };
    this.clients.set(client.clientId, client);
    return client;
  }

  issueRefreshToken(grant: Grant): RefreshToken {
    const token: RefreshToken = {
      ...grant,
      value: zohoToken(),
      revoked: false,
      mints: [],
      createdAt: this.now(),
    };
    this.refreshTokens.set(token.value, token);
    const ofClient = [...this.refreshTokens.values()]
      .filter((t) => t.client.clientId === grant.client.clientId && !t.revoked)
      .sort((a, b) => a.createdAt - b.createdAt);
    const cap = this.options.maxRefreshTokensPerClient ?? 20;
    for (const old of ofClient.slice(0, Math.max(0, ofClient.length - cap))) this.revokeRefresh(old);
    return token;
  }

  revokeRefresh(token: RefreshToken): void {
    token.revoked = true;
    for (const access of this.accessTokens.values())
      if (access.refreshToken === token) access.invalidated = true;
  }

  mint(refresh: RefreshToken | undefined, grant: Grant): AccessToken {
    const ttl = (this.options.accessTokenTtlSeconds ?? 3600) * 1000;
    const token: AccessToken = {
      value: zohoToken(),
      refreshToken: refresh,
      scopes: grant.scopes,
      userId: grant.userId,
      expiresAt: this.now() + ttl,
      invalidated: false,
    };
    this.accessTokens.set(token.value, token);
    if (refresh) {
      refresh.mints.push(this.now());
      const active = this.activeOf(refresh);
      const cap = this.options.maxActiveAccessTokens ?? 15;
      for (const old of active.slice(0, Math.max(0, active.length - cap))) old.invalidated = true;
    }
    return token;
  }

  activeOf(refresh: RefreshToken): AccessToken[] {
    return [...this.accessTokens.values()].filter((t) => t.refreshToken === refresh && this.works(t));
  }

  works(token: AccessToken | undefined): token is AccessToken {
    return token !== undefined && !token.invalidated && token.expiresAt > this.now();
  }

  throttled(refresh: RefreshToken): boolean {
    const windowStart = this.now() - (this.options.mintWindowMs ?? 10 * 60 * 1000);
    return refresh.mints.filter((at) => at > windowStart).length >= (this.options.mintLimit ?? 10);
  }

  tokenAnswer(token: AccessToken, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const ttlSeconds = Math.round((token.expiresAt - this.now()) / 1000);
    const lifetime = this.options.legacyExpiry
      ? { expires_in_sec: ttlSeconds, expires_in: ttlSeconds * 1000 }
      : { expires_in: ttlSeconds };
    return {
      access_token: token.value,
      ...extra,
      scope: token.scopes.join(' '),
      ...(this.options.omitApiDomain ? {} : { api_domain: this.options.apiDomain ?? this.url }),
      token_type: 'Bearer',
      ...lifetime,
    };
  }

  url = '';
}

/** Start the local Zoho on a free loopback port. */
export async function startZohoServer(options: ZohoServerOptions = {}): Promise<ZohoServer> {
  const state = new ZohoState({ ...options });
  const server = createServer((req, res) => {
    handle(state, req, res).catch((error: unknown) => {
      send(res, 500, { error: 'internal', message: error instanceof Error ? error.message : String(error) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const grantOf = (client: ZohoClient, o: { scopes?: string[]; userId?: string } = {}): Grant => ({
    client,
    scopes: o.scopes ?? DEFAULT_SCOPES,
    userId: o.userId ?? crmId(),
  });

  return {
    url: state.url,
    requests: state.requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    registerClient: () => state.registerClient(),
    issueRefreshToken: (client, o) => state.issueRefreshToken(grantOf(client, o)).value,
    createGrantCode(client, o) {
      const code = zohoToken();
      state.grantCodes.set(code, {
        ...grantOf(client, o),
        expiresAt: state.now() + GRANT_CODE_TTL_MS,
        used: false,
      });
      return code;
    },
    revokeRefreshToken(value) {
      const token = state.refreshTokens.get(value);
      if (token) state.revokeRefresh(token);
    },
    advanceTime(ms) {
      state.offsetMs += ms;
    },
    now: () => state.now(),
    mintsFor: (value) => state.refreshTokens.get(value)?.mints.length ?? 0,
    activeAccessTokens(value) {
      const token = state.refreshTokens.get(value);
      return token ? state.activeOf(token).length : 0;
    },
    accessTokenWorks: (value) => state.works(state.accessTokens.get(value)),
    configure(changes) {
      Object.assign(state.options, changes);
    },
  };
}

async function handle(state: ZohoState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', state.url);
  const seen: SeenRequest = { method: req.method ?? 'GET', path: url.pathname, at: state.now() };
  state.requests.push(seen);
  const body = await readBody(req);

  if (url.pathname === '/oauth/v2/token' || url.pathname === '/oauth/v2/token/revoke') {
    if (req.method !== 'POST') return send(res, 405, { error: 'invalid_request_method' });
    const params = await parameters(url, req.headers['content-type'], body);
    if (url.pathname === '/oauth/v2/token/revoke') return revoke(state, params, res);
    seen.note = params.get('grant_type') ?? '(none)';
    return token(state, params, res);
  }
  if (url.pathname === '/crm/v8/users') {
    if (req.method !== 'GET')
      return send(res, 405, crmErrorBody('INVALID_REQUEST_METHOD', 'invalid request method'));
    seen.note = (req.headers.authorization ?? '(none)').split(' ')[0];
    return currentUser(state, req, url, res);
  }
  send(res, 404, {
    code: 'INVALID_URL_PATTERN',
    details: {},
    message: 'Please check if the URL trying to access is a correct one',
    status: 'error',
  });
}

/** Query string, then the body (urlencoded or multipart) over it: Zoho reads parameters from either. */
async function parameters(
  url: URL,
  contentType: string | undefined,
  body: Buffer,
): Promise<Map<string, string>> {
  const params = new Map(url.searchParams);
  if (
    body.length > 0 &&
    contentType &&
    /^(multipart\/form-data|application\/x-www-form-urlencoded)/i.test(contentType)
  ) {
    const form = await new Response(new Uint8Array(body), {
      headers: { 'content-type': contentType },
    }).formData();
    for (const [key, value] of form.entries()) if (typeof value === 'string') params.set(key, value);
  }
  return params;
}

function token(state: ZohoState, params: Map<string, string>, res: ServerResponse): void {
  const grantType = params.get('grant_type');
  if (grantType !== 'refresh_token' && grantType !== 'authorization_code') {
    return send(res, 200, { error: 'unsupported_grant_type' });
  }
  const client = state.clients.get(params.get('client_id') ?? '');
  if (!client) return send(res, 200, { error: 'invalid_client' });
  if (params.get('client_secret') !== client.clientSecret)
    return send(res, 200, { error: 'invalid_client_secret' });

  if (grantType === 'authorization_code') {
    const code = state.grantCodes.get(params.get('code') ?? '');
    if (!code || code.used || code.expiresAt <= state.now() || code.client !== client) {
      return send(res, 200, { error: 'invalid_code' });
    }
    code.used = true;
    const refresh = state.issueRefreshToken(code);
    const access = state.mint(refresh, code);
    return send(res, 200, state.tokenAnswer(access, { refresh_token: refresh.value }));
  }

  const refresh = state.refreshTokens.get(params.get('refresh_token') ?? '');
  if (!refresh || refresh.revoked || refresh.client !== client)
    return send(res, 200, { error: 'invalid_code' });
  if (state.throttled(refresh)) return send(res, state.options.rateLimitStatus ?? 400, RATE_LIMIT_BODY);
  send(res, 200, state.tokenAnswer(state.mint(refresh, refresh)));
}

function revoke(state: ZohoState, params: Map<string, string>, res: ServerResponse): void {
  const value = params.get('token') ?? '';
  const refresh = state.refreshTokens.get(value);
  if (refresh && !refresh.revoked) {
    if (state.options.refreshTokenRevocation === 'refuses') {
      return send(res, 400, { error: 'invalid_token', status: 'failure' });
    }
    state.revokeRefresh(refresh);
    return send(res, 200, { status: 'success' });
  }
  const access = state.accessTokens.get(value);
  if (access && state.works(access)) {
    const mode = state.options.accessTokenRevocation ?? 'revokes';
    if (mode === 'refuses') return send(res, 400, { error: 'invalid_token', status: 'failure' });
    if (mode === 'revokes') access.invalidated = true;
    return send(res, 200, { status: 'success' });
  }
  send(res, 400, { error: 'invalid_token', status: 'failure' });
}

function currentUser(state: ZohoState, req: IncomingMessage, url: URL, res: ServerResponse): void {
  const match = /^Zoho-oauthtoken (\S+)$/.exec(req.headers.authorization ?? '');
  if (!match?.[1]) return send(res, 401, crmErrorBody('AUTHENTICATION_FAILURE', 'Authentication failed'));
  const access = state.accessTokens.get(match[1]);
  if (!state.works(access)) return send(res, 401, crmErrorBody('INVALID_TOKEN', 'invalid oauth token'));
  if (!access.scopes.some((scope) => USERS_SCOPES.has(scope))) {
    return send(res, 401, crmErrorBody('OAUTH_SCOPE_MISMATCH', 'invalid oauth scope to access this URL'));
  }
  if (url.searchParams.get('type') !== 'CurrentUser') {
    return send(res, 400, crmErrorBody('INVALID_DATA', 'this local Zoho answers type=CurrentUser only'));
  }
  send(res, 200, {
    users: [
      {
        id: access.userId,
        full_name: 'Rotation Service',
        email: 'rotation@example.com',
        status: 'active',
        role: { name: 'CEO', id: '4150868000000026005' },
        profile: { name: 'Administrator', id: '4150868000000026011' },
      },
    ],
    info: { per_page: 200, count: 1, page: 1, more_records: false },
  });
}

function crmErrorBody(code: string, message: string) {
  return { code, details: {}, message, status: 'error' };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json;charset=UTF-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
