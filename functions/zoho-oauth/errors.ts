import { CredentialRejectedError } from '../../shared/rotation/errors';

/**
 * Zoho CRM answered 401 INVALID_TOKEN: this access token is dead (expired, revoked, or pushed out by
 * the 15-active-tokens cap). Typed so that a revocation check can tell "dead" from "could not ask".
 */
export class AccessTokenRejectedError extends CredentialRejectedError {
  override readonly name: string = 'AccessTokenRejectedError';
}
