import * as z from 'zod/mini';
import { httpRequest } from '../../shared/net/http';
import {
  CredentialRejectedError,
  PermissionDeniedError,
  RateLimitedError,
  type RotationError,
  TargetError,
} from '../../shared/errors';
import { endpoint } from './data-centres';
import { AccessTokenRejectedError } from './errors';

/** The CRM API version the check calls. */
export const CRM_CURRENT_USER_PATH = '/crm/v8/users?type=CurrentUser';

const CurrentUserSchema = z.looseObject({
  users: z.array(z.looseObject({ id: z.string().check(z.minLength(1)) })).check(z.minLength(1)),
});

/** CRM error bodies: `{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"}`. */
const CrmErrorSchema = z.looseObject({
  code: z.optional(z.string()),
  message: z.optional(z.string()),
});

export interface CurrentUser {
  /** The CRM user id the token acts as (not secret; goes to the audit line). */
  id: string;
}

/** What an access token is being checked for, in messages: "pending", "previous". */
export type TokenRole = 'pending' | 'previous' | 'current';

/**
 * GET {api_domain}/crm/v8/users?type=CurrentUser with `Authorization: Zoho-oauthtoken <token>`:
 * the cheapest CRM call that proves a token works (needs the ZohoCRM.users.READ scope).
 */
export async function currentUser(
  apiDomain: URL,
  accessToken: string,
  role: TokenRole,
): Promise<CurrentUser> {
  const response = await httpRequest({
    method: 'GET',
    url: endpoint(apiDomain, CRM_CURRENT_USER_PATH),
    purpose: 'Zoho CRM current-user endpoint',
    headers: { Authorization: `Zoho-oauthtoken ${accessToken}`, Accept: 'application/json' },
  });
  if (response.status === 200) {
    const body = CurrentUserSchema.safeParse(response.data);
    const first = body.success ? body.data.users[0] : undefined;
    if (!first) {
      throw new TargetError(
        `Zoho CRM at ${apiDomain.host} answered the current-user request with HTTP 200 but no user ` +
          '(is api_domain a Zoho CRM API domain?)',
      );
    }
    return { id: first.id };
  }
  const error = CrmErrorSchema.safeParse(response.data);
  throw crmError(response.status, error.success ? error.data.code : undefined, apiDomain, role);
}

/** Name a CRM refusal after its code; 401 bodies say why the token was not accepted. */
export function crmError(
  status: number,
  rawCode: string | undefined,
  apiDomain: URL,
  role: TokenRole,
): RotationError {
  const code = rawCode && /^[A-Z][A-Z_]{0,63}$/.test(rawCode) ? rawCode : undefined;
  const where = `Zoho CRM at ${apiDomain.host}`;
  const subject = `the ${role} access token`;
  if (status === 429 || code === 'TOO_MANY_REQUESTS') {
    return new RateLimitedError(`${where} throttled the current-user request (HTTP ${status})`);
  }
  switch (code) {
    case 'INVALID_TOKEN':
      return new AccessTokenRejectedError(
        `${where} refused ${subject} (INVALID_TOKEN): it expired, was revoked, or was invalidated because ` +
          'more than 15 access tokens were minted from the same refresh token since',
      );
    case 'AUTHENTICATION_FAILURE':
      return new CredentialRejectedError(
        `${where} did not accept the authentication of the request with ${subject} (AUTHENTICATION_FAILURE)`,
        {
          retryable: true,
          action:
            'If it persists, check that nothing between this function and Zoho strips the Authorization header.',
        },
      );
    case 'OAUTH_SCOPE_MISMATCH':
      return new PermissionDeniedError(
        `${where} says ${subject} lacks the scope for the current-user endpoint (OAUTH_SCOPE_MISMATCH)`,
        {
          action:
            'The grant behind the refresh token must include ZohoCRM.users.READ (or ZohoCRM.users.ALL): create a new ' +
            'grant with it (see docs/zoho-oauth.md) and store the new refresh token.',
        },
      );
    case 'NO_PERMISSION':
      return new PermissionDeniedError(
        `${where} says the user behind ${subject} may not read users (NO_PERMISSION)`,
        { action: 'Give the Zoho user a profile that may view users, or grant with another user.' },
      );
    default:
      return new TargetError(
        `${where} answered the current-user request with HTTP ${status}${code ? ` (${code})` : ''}`,
        { retryable: status >= 500 },
      );
  }
}
