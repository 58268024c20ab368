import { CredentialRejectedError, RotationError } from '../../shared/errors';

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
