export {
  RotatingPool,
  type PoolOptions,
  type PoolSwitch,
  type RotatingPoolOptions,
} from './rotating-pool.js';
export { type PostgresCredential, isLoginRefused, isSessionEnded } from './credential.js';
export type { RetryEvent, OnRetry } from '../retry.js';
