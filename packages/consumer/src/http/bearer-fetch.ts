import type { SecretCache } from '../secret-cache.js';
import type { OnRetry } from '../retry.js';
import { RotatingCredential } from '../secret-value.js';
import { attempts, type FetchInput, isReplayable } from './replay.js';

/** The JSON key holding the token in webhook-bearer and mcp-token secrets. */
export const DEFAULT_TOKEN_FIELD = 'token';

export type FetchFunction = (input: FetchInput, init?: RequestInit) => Promise<Response>;

export interface BearerFetchOptions {
  cache: SecretCache;
  /** Name or ARN of the secret holding the token (AWSCURRENT is sent). */
  secretId: string;
  tokenField?: string;
  /** The fetch to wrap (default: the global one). */
  fetch?: FetchFunction;
  /** Told about each retry after a 401 (for the service's metrics). */
  onRetry?: OnRetry;
}

/**
 * A `fetch` that sends `Authorization: Bearer <AWSCURRENT token>` from the cache, for webhook
 * senders and MCP clients (give it to the MCP SDK's transport as `fetch`).
 *
 * On a 401 it invalidates the cached secret and re-reads it: if AWSCURRENT holds another token (a
 * rotation or an emergency revoke happened since the cache filled), the request is sent once more
 * with it. If the token is the same, the 401 is returned as is: the receiver refuses for some other
 * reason and a retry would be refused too. A body that cannot be sent twice (a ReadableStream) is
 * not retried; its 401 is returned, and the next request goes out with the new token.
 */
export function bearerFetch(options: BearerFetchOptions): FetchFunction {
  const send = options.fetch ?? globalThis.fetch;
  const field = options.tokenField ?? DEFAULT_TOKEN_FIELD;
  const credential = new RotatingCredential(
    options.cache,
    options.secretId,
    (fields) => fields.string(field),
    (token) => token,
  );

  return async (input, init) => {
    const next = attempts(input, init);
    const token = await credential.current();
    const first = await send(next(), withBearer(input, init, token));
    if (first.status !== 401) return first;
    if (!isReplayable(init)) {
      credential.invalidate();
      return first;
    }
    const fresh = await credential.afterRejection(token);
    if (fresh === undefined) return first;
    // The first answer is dropped unread; cancel its body so the connection is released.
    await first.body?.cancel().catch(() => undefined);
    options.onRetry?.({ secretId: options.secretId, reason: 'unauthorized' });
    return send(next(), withBearer(input, init, fresh));
  };
}

function withBearer(input: FetchInput, init: RequestInit | undefined, token: string): RequestInit {
  const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
  headers.set('Authorization', `Bearer ${token}`);
  return { ...init, headers };
}
