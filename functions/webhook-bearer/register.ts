import type { Deadline } from '../../shared/net/deadline';
import { httpRequest } from '../../shared/net/http';
import { registerRefusal } from './errors';

export type RegisterOutcome = 'registered' | 'already-registered';

/**
 * Tell the webhook sender its new token: `PUT register_url` with `{"token": "<new>"}`, authenticated
 * with the token it uses now, and the rotation's version as `Idempotency-Key`.
 *
 * A retried setSecret may find the sender already switched (the first PUT landed but its answer was
 * lost): the current token is then refused, so the same PUT is repeated authenticated with the new
 * token; a sender that accepts it already holds it, and the call is a no-op for it. A sender
 * switched to the token of a rotation an emergency rotation abandoned accepts that one instead.
 */
export async function registerToken(
  registerUrl: URL,
  currentToken: string,
  pendingToken: string,
  version: string,
  deadline: Deadline,
  abandonedToken?: string,
): Promise<RegisterOutcome> {
  const put = (bearer: string) =>
    httpRequest({
      method: 'PUT',
      url: registerUrl,
      purpose: 'webhook sender registration endpoint',
      field: '`register_url`',
      headers: {
        Authorization: `Bearer ${bearer}`,
        'Content-Type': 'application/json',
        'Idempotency-Key': version,
      },
      data: { token: pendingToken },
      deadline,
    });

  const first = await put(currentToken);
  const failure = registerRefusal(registerUrl, first);
  if (!failure) return 'registered';
  if (first.status !== 401 && first.status !== 403) throw failure;

  const retry = await put(pendingToken);
  if (retry.status >= 200 && retry.status < 300) return 'already-registered';
  if (abandonedToken && abandonedToken !== currentToken) {
    const fromAbandoned = await put(abandonedToken);
    if (fromAbandoned.status >= 200 && fromAbandoned.status < 300) return 'registered';
  }
  throw failure;
}
