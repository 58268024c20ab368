import {
  CredentialRejectedError,
  PermissionDeniedError,
  RateLimitedError,
  RotationError,
  TargetError,
} from '../../shared/errors';
import type { ClientCredentials } from './client-credentials';
import { newGrantSteps } from './grant-instructions';

/*
 * Zoho's failures, named: the error classes, then the classification of the token endpoint's and
 * the CRM's refusals into them.
 */

/**
 * Zoho CRM answered 401 INVALID_TOKEN: this access token is dead (expired, revoked, or pushed out by
 * the 15-active-tokens cap). Typed so that a revocation check can tell "dead" from "could not ask".
 */
export class AccessTokenRejectedError extends CredentialRejectedError {
  override readonly name: string = 'AccessTokenRejectedError';
}

/**
 * Revoking the previous refresh token would also revoke the access token AWSCURRENT still holds
 * (minted from that refresh token), cutting off every client until the next rotation.
 */
export class RevokeWouldCutOffClientsError extends RotationError {
  override readonly name: string = 'RevokeWouldCutOffClientsError';
}

/** Zoho refused to revoke the previous refresh token, and it still mints access tokens. */
export class RefreshTokenStillValidError extends RotationError {
  override readonly name: string = 'RefreshTokenStillValidError';
}

const RATE_LIMIT_CODE = /^access denied$/i;
const RATE_LIMIT_TEXT = /too many requests/i;

/** Name a failed answer after Zoho's error code, with what an operator should do about it. */
export function tokenError(
  status: number,
  body: { error?: string; error_description?: string },
  request: { accountsServer: URL; client: ClientCredentials },
): RotationError {
  const host = request.accountsServer.host;
  const code = safeCode(body.error);
  const where = `Zoho token endpoint at ${host}`;
  if (
    status === 429 ||
    (code !== undefined && RATE_LIMIT_CODE.test(code)) ||
    RATE_LIMIT_TEXT.test(body.error_description ?? '')
  ) {
    return new RateLimitedError(
      `${where} refused to mint an access token: too many requests ("Access Denied"). Zoho allows 10 ` +
        'access tokens per refresh token in 10 minutes and blocks further ones for the rest of the window',
      {
        action:
          'Retries after the window succeed on their own. If it keeps happening, find what else mints tokens ' +
          'with this refresh token: each minting client should have its own refresh token.',
      },
    );
  }
  switch (code) {
    case 'invalid_code':
      return new CredentialRejectedError(
        `${where} refused the refresh token (invalid_code): it was revoked, deleted (a client keeps at most ` +
          '20 refresh tokens per user) or belongs to another client or data centre. Retrying cannot fix this',
        { retryable: false, action: newGrantSteps(request.accountsServer.origin) },
      );
    case 'invalid_client':
      return new CredentialRejectedError(
        `${where} does not know the client_id (invalid_client): the client was deleted, or it is not ` +
          `enabled in this data centre (${host})`,
        {
          retryable: false,
          action:
            "Check client_id in the API console of the account's data centre (enable Multi DC for the client " +
            `if needed), then fix ${credentialLocation(request.client)}.`,
        },
      );
    case 'invalid_client_secret':
      return new CredentialRejectedError(`${where} refused the client_secret (invalid_client_secret)`, {
        retryable: false,
        action:
          'Copy the current client secret from the Zoho API console (it differs per data centre unless ' +
          `Multi DC shares it) into ${credentialLocation(request.client)}.`,
      });
    default:
      if (status >= 500) {
        return new TargetError(`${where} failed with HTTP ${status}`, { retryable: true });
      }
      return new TargetError(
        `${where} answered without an access token (HTTP ${status}${code ? `, error "${code}"` : ''})`,
        { action: 'Check the client and the refresh token in the Zoho API console, then rotate again.' },
      );
  }
}

function credentialLocation(client: ClientCredentials): string {
  return client.source === 'client_secret_arn'
    ? 'the secret named by client_secret_arn'
    : 'client_id / client_secret in this secret';
}

/** Zoho's error codes are short words; anything else is not repeated into logs and alerts. */
function safeCode(code: string | undefined): string | undefined {
  if (code === undefined) return undefined;
  return /^[A-Za-z][A-Za-z _-]{0,63}$/.test(code) ? code : 'unrecognised';
}

/** What an access token is being checked for, in messages: "pending", "previous". */
export type TokenRole = 'pending' | 'previous' | 'current';

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
