import * as z from 'zod/mini';
import type { Deadline } from '../../shared/net/deadline';
import { httpRequest } from '../../shared/net/http';
import { TargetError } from '../../shared/errors';
import { endpoint } from './data-centres';

const RevokeResponseSchema = z.looseObject({ status: z.optional(z.string()) });

export type RevokeOutcome = 'revoked' | 'refused';

/**
 * POST {accounts_server}/oauth/v2/token/revoke?token=<token>, the form Zoho documents (the token in
 * the query; errors here name the host only). Zoho documents it for refresh tokens (which also
 * revokes every access token minted from them) and for access tokens of JavaScript clients; an
 * HTTP 400 means Zoho did not revoke the token. Success is `{"status":"success"}`.
 */
export async function revokeToken(
  accountsServer: URL,
  token: string,
  what: string,
  deadline: Deadline,
): Promise<RevokeOutcome> {
  const url = endpoint(accountsServer, '/oauth/v2/token/revoke');
  url.searchParams.set('token', token);
  const response = await httpRequest({
    method: 'POST',
    url,
    purpose: `Zoho token revocation (${what})`,
    field: '`accounts_server`',
    deadline,
  });
  if (response.status === 400) return 'refused';
  const body = RevokeResponseSchema.safeParse(response.data);
  if (response.status === 200 && body.success && body.data.status === 'success') return 'revoked';
  throw new TargetError(
    `Zoho token revocation at ${accountsServer.host} answered HTTP ${response.status} without "status":"success" (${what})`,
    { retryable: response.status >= 500 },
  );
}
