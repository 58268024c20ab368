export {
  bearerFetch,
  DEFAULT_TOKEN_FIELD,
  type BearerFetchOptions,
  type FetchFunction,
} from './bearer-fetch.js';
export type { FetchInput } from './replay.js';
export type { RetryEvent, OnRetry } from '../retry.js';
