export {
  SecretCache,
  DEFAULT_SECRET_TTL_MS,
  type SecretAccess,
  type SecretCacheOptions,
  type LabelledVersion,
  type VersionsOptions,
} from './secret-cache.js';
export {
  BearerVerifier,
  bearerTokenFrom,
  ACCEPTED_STAGES,
  DEFAULT_MIN_REFRESH_INTERVAL_MS,
  EXPIRES_AT_FIELD,
  TOKEN_FIELD,
  type BearerVerifierOptions,
  type RejectReason,
  type VerifyResult,
} from './bearer-verifier.js';
export { Stage } from './stages.js';
export { SecretFormatError } from './secret-value.js';
export type { RetryEvent, OnRetry } from './retry.js';
