import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type Deadline, sdkCall } from '../net/deadline';

let client: SecretsManagerClient | undefined;

/**
 * One client per container, reused by every invocation. The endpoint comes from the standard
 * AWS_ENDPOINT_URL when set (moto locally), AWS otherwise.
 *
 * Retries are bounded so they fit in a step: a lost reply (connection open, nothing coming back)
 * fails an attempt after REQUEST_TIMEOUT_MS instead of hanging, at most MAX_ATTEMPTS attempts are
 * made, and every call carries the invocation's deadline signal (see `within`), which stops it and
 * its back-off at the deadline margin. The standard retry mode was measured against adaptive under
 * throttling (README, "Reliability"): AWS_RETRY_MODE still overrides it.
 */
const MAX_ATTEMPTS = 4;
const CONNECTION_TIMEOUT_MS = 3_000;
const REQUEST_TIMEOUT_MS = 5_000;

export function secretsManager(): SecretsManagerClient {
  client ??= new SecretsManagerClient({
    maxAttempts: MAX_ATTEMPTS,
    requestHandler: { connectionTimeout: CONNECTION_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS },
  });
  return client;
}

/** The send options of a Secrets Manager `operation` made within `deadline`. */
export function within(deadline: Deadline, operation: string): { abortSignal: AbortSignal } {
  return sdkCall(deadline, `Secrets Manager ${operation}`);
}
