import { numberFromEnv } from '../../shared/config/env';

/** The function's timeouts, read from the environment (PG_CA_BUNDLE is read by tls.ts, when TLS needs it). */
export interface PostgresSettings {
  /** PG_CONNECT_TIMEOUT_MS: TCP + TLS + authentication, per connection attempt. */
  connectTimeoutMs: number;
  /** PG_STATEMENT_TIMEOUT_MS: statement_timeout and lock_timeout on the server, read timeout here. */
  statementTimeoutMs: number;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_STATEMENT_TIMEOUT_MS = 15_000;

/** 100 ms to 10 minutes: less is a unit mistake (seconds for milliseconds), more is longer than a step should wait. */
function milliseconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  return numberFromEnv(name, fallback, { min: 100, max: 600_000, integer: true, unit: 'milliseconds' }, env);
}

export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): PostgresSettings {
  return {
    connectTimeoutMs: milliseconds(env, 'PG_CONNECT_TIMEOUT_MS', DEFAULT_CONNECT_TIMEOUT_MS),
    statementTimeoutMs: milliseconds(env, 'PG_STATEMENT_TIMEOUT_MS', DEFAULT_STATEMENT_TIMEOUT_MS),
  };
}
