import { RotationError } from '../../shared/errors';

/** The rotation the emergency started did not reach AWSCURRENT within EMERGENCY_WAIT_SECONDS. */
export class RotationTimeoutError extends RotationError {
  override readonly name: string = 'RotationTimeoutError';
}

/** The rotation the emergency started was abandoned (its AWSPENDING went away) before promotion. */
export class RotationAbandonedError extends RotationError {
  override readonly name: string = 'RotationAbandonedError';
}

/** The rotation function did not confirm the revoke of the previous credential. */
export class RevokeFailedError extends RotationError {
  override readonly name: string = 'RevokeFailedError';
}
