import { RotationError } from '../../shared/rotation/errors';

/** The function's own environment is wrong (a timeout that is not a number, an unreadable CA bundle). */
export class RedisConfigurationError extends RotationError {
  override readonly name: string = 'RedisConfigurationError';
}
