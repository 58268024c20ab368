import * as z from 'zod/mini';
import type { Deadline } from '../../shared/net/deadline';
import { httpRequest } from '../../shared/net/http';
import { TargetError } from '../../shared/errors';
import { endpoint } from './data-centres';
import { crmError, type TokenRole } from './errors';

/** The CRM API version the check calls. */
const CRM_CURRENT_USER_PATH = '/crm/v8/users?type=CurrentUser';

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

/**
 * GET {api_domain}/crm/v8/users?type=CurrentUser with `Authorization: Zoho-oauthtoken <token>`:
 * the cheapest CRM call that proves a token works (needs the ZohoCRM.users.READ scope).
 */
export async function currentUser(
  apiDomain: URL,
  accessToken: string,
  role: TokenRole,
  deadline: Deadline,
): Promise<CurrentUser> {
  const response = await httpRequest({
    method: 'GET',
    url: endpoint(apiDomain, CRM_CURRENT_USER_PATH),
    purpose: 'Zoho CRM current-user endpoint',
    field: '`api_domain`',
    headers: { Authorization: `Zoho-oauthtoken ${accessToken}`, Accept: 'application/json' },
    deadline,
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
