import type { SecretCache } from '../secret-cache.js';
import type { OnRetry } from '../retry.js';
import { RotatingCredential, type SecretFields, SecretFormatError } from '../secret-value.js';
import { isReplayable } from '../http/replay.js';
import type { FetchFunction } from '../http/bearer-fetch.js';

/** The access token a Zoho rotation minted, as the secret holds it. */
export interface ZohoAccessToken {
  accessToken: string;
  /** The data centre's API base, e.g. `https://www.zohoapis.eu`. */
  apiDomain: string;
  /** When the token stops working; undefined when the secret does not say. */
  expiresAt: Date | undefined;
}

/**
 * AWSCURRENT's access token has expired and Secrets Manager holds no newer one: the rotation is
 * not keeping it fresh (schedule longer than the token's hour, or failing rotations). This
 * provider never mints a token itself, so it cannot fix that; the rotation's alarms say why.
 */
export class ZohoTokenExpiredError extends Error {
  override name = 'ZohoTokenExpiredError';
}

/** The answer's URL is not on the secret's api_domain: the token is never sent anywhere else. */
export class ZohoForeignUrlError extends Error {
  override name = 'ZohoForeignUrlError';
}

export interface ZohoTokenProviderOptions {
  cache: SecretCache;
  /** Name or ARN of the zoho-oauth secret the rotation keeps fresh. */
  secretId: string;
  /**
   * Re-read the secret once the token is this close to `expires_at` (the rotation has usually
   * stored a new one by then). Default one minute.
   */
  refreshBeforeExpiryMs?: number;
  fetch?: FetchFunction;
  onRetry?: OnRetry;
  now?: () => number;
}

const DEFAULT_REFRESH_BEFORE_EXPIRY_MS = 60_000;
/** Near expiry, the secret is re-read at most this often (each re-read is a GetSecretValue). */
const NEAR_EXPIRY_REREAD_MS = 10_000;
/** Past expiry, more often: the rotation may store the new token any moment. */
const EXPIRED_REREAD_MS = 1_000;

/**
 * The Zoho CRM side of a service: the access token comes from the zoho-oauth secret's AWSCURRENT,
 * where the rotation put it. It never calls Zoho's token endpoint: every refresh counts against the
 * refresh token's limit of 10 access tokens per 10 minutes, which the rotation budgets, and a fleet
 * of services refreshing on their own would exhaust it.
 */
export class ZohoTokenProvider {
  readonly secretId: string;
  readonly #credential: RotatingCredential<ZohoAccessToken>;
  readonly #refreshBeforeExpiryMs: number;
  readonly #fetch: FetchFunction;
  readonly #onRetry: OnRetry | undefined;
  readonly #now: () => number;
  #lastExpiryReread = Number.NEGATIVE_INFINITY;

  constructor(options: ZohoTokenProviderOptions) {
    this.secretId = options.secretId;
    this.#now = options.now ?? Date.now;
    this.#credential = new RotatingCredential(
      options.cache,
      options.secretId,
      parseZohoToken,
      (token) => token.accessToken,
      this.#now,
    );
    this.#refreshBeforeExpiryMs = options.refreshBeforeExpiryMs ?? DEFAULT_REFRESH_BEFORE_EXPIRY_MS;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#onRetry = options.onRetry;
  }

  /**
   * The access token to send now. Close to `expires_at` the secret is re-read (the rotation may
   * have stored a newer token since the cache filled); past it, with nothing newer, this throws
   * ZohoTokenExpiredError rather than send a token Zoho will refuse.
   */
  async token(): Promise<ZohoAccessToken> {
    let token = await this.#credential.current();
    if (this.#expiresWithin(token, this.#refreshBeforeExpiryMs)) {
      const expired = this.#expiresWithin(token, 0);
      if (this.#mayReread(expired ? EXPIRED_REREAD_MS : NEAR_EXPIRY_REREAD_MS)) {
        this.#credential.invalidate();
        token = await this.#credential.current();
      }
    }
    if (this.#expiresWithin(token, 0)) {
      throw new ZohoTokenExpiredError(
        `the access token in secret ${this.secretId} AWSCURRENT expired at ${token.expiresAt?.toISOString()} and no newer one is stored: check that its rotation runs and succeeds (schedule shorter than the token's hour)`,
      );
    }
    return token;
  }

  /** Forget the cached token: call it when told a rotation finished. */
  invalidate(): void {
    this.#credential.invalidate();
  }

  /**
   * `fetch` for the CRM API: `path` relative to the secret's api_domain (`/crm/v8/Leads`) or an
   * absolute URL on it, sent with `Authorization: Zoho-oauthtoken <token>`. A 401 INVALID_TOKEN
   * (the token was revoked, or fell out of Zoho's 15 active tokens) invalidates the secret and, if
   * AWSCURRENT now holds another token, sends the request once more with it.
   */
  async fetch(path: string | URL, init?: RequestInit): Promise<Response> {
    const token = await this.token();
    const url = crmUrl(token.apiDomain, path);
    const first = await this.#fetch(url, withZohoAuth(init, token.accessToken));
    if (first.status !== 401 || !(await isInvalidToken(first))) return first;
    if (!isReplayable(init)) {
      this.#credential.invalidate();
      return first;
    }
    const fresh = await this.#credential.afterRejection(token);
    if (fresh === undefined) return first;
    await first.body?.cancel().catch(() => undefined);
    this.#onRetry?.({ secretId: this.secretId, reason: 'invalid-token' });
    return this.#fetch(crmUrl(fresh.apiDomain, path), withZohoAuth(init, fresh.accessToken));
  }

  #expiresWithin(token: ZohoAccessToken, marginMs: number): boolean {
    return token.expiresAt !== undefined && token.expiresAt.getTime() - marginMs <= this.#now();
  }

  #mayReread(intervalMs: number): boolean {
    if (this.#now() - this.#lastExpiryReread < intervalMs) return false;
    this.#lastExpiryReread = this.#now();
    return true;
  }
}

function parseZohoToken(fields: SecretFields): ZohoAccessToken {
  const expiry = fields.optionalString('expires_at');
  const expiresAt = expiry === undefined ? undefined : new Date(expiry);
  if (expiresAt && Number.isNaN(expiresAt.getTime())) {
    throw new SecretFormatError(`${fields.where}: \`expires_at\` is not an ISO 8601 time`);
  }
  return {
    accessToken: fields.string('access_token'),
    apiDomain: fields.string('api_domain'),
    expiresAt,
  };
}

function crmUrl(apiDomain: string, path: string | URL): URL {
  const base = new URL(apiDomain);
  const url = new URL(path, base);
  if (url.origin !== base.origin) {
    throw new ZohoForeignUrlError(
      `${url.origin} is not the secret's api_domain (${base.origin}): the Zoho token is only sent there`,
    );
  }
  return url;
}

function withZohoAuth(init: RequestInit | undefined, accessToken: string): RequestInit {
  const headers = new Headers(init?.headers);
  // Zoho CRM wants its own scheme, not `Bearer`.
  headers.set('Authorization', `Zoho-oauthtoken ${accessToken}`);
  return { ...init, headers };
}

/** Zoho CRM answers a dead token with 401 and `{"code": "INVALID_TOKEN", ...}`. */
async function isInvalidToken(response: Response): Promise<boolean> {
  try {
    const body = (await response.clone().json()) as { code?: unknown };
    return body.code === 'INVALID_TOKEN';
  } catch {
    return false;
  }
}
