import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

let client: SecretsManagerClient | undefined;

/**
 * One client per container, reused by every invocation. Adaptive retry mode backs off on
 * throttling across calls, which matters when a scheduled wave rotates hundreds of secrets at once.
 * The endpoint comes from the standard AWS_ENDPOINT_URL when set (moto locally), AWS otherwise.
 */
export function secretsManager(): SecretsManagerClient {
  client ??= new SecretsManagerClient({ retryMode: 'adaptive', maxAttempts: 6 });
  return client;
}
