export {
  ZohoTokenProvider,
  ZohoTokenExpiredError,
  ZohoForeignUrlError,
  type ZohoAccessToken,
  type ZohoTokenProviderOptions,
} from './access-token.js';
export type { RetryEvent, OnRetry } from '../retry.js';
