import { timeoutFromEnv } from '../../shared/config/env';

/** The function's timeouts, read from the environment (PG_CA_BUNDLE is read by tls.ts, when TLS needs it). */
export interface PostgresSettings {
  /** PG_CONNECT_TIMEOUT_MS: TCP + TLS + authentication, per connection attempt. */
  connectTimeoutMs: number;
  /** PG_STATEMENT_TIMEOUT_MS: statement_timeout and lock_timeout on the server, read timeout here. */
  statementTimeoutMs: number;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
const DEFAULT_STATEMENT_TIMEOUT_MS = 15_000;

/** Up to 10 minutes: longer than that is longer than a step should wait. */
const MAX_TIMEOUT_MS = 600_000;

export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): PostgresSettings {
  return {
    connectTimeoutMs: timeoutFromEnv(
      'PG_CONNECT_TIMEOUT_MS',
      DEFAULT_CONNECT_TIMEOUT_MS,
      MAX_TIMEOUT_MS,
      env,
    ),
    statementTimeoutMs: timeoutFromEnv(
      'PG_STATEMENT_TIMEOUT_MS',
      DEFAULT_STATEMENT_TIMEOUT_MS,
      MAX_TIMEOUT_MS,
      env,
    ),
  };
}
