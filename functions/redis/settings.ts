import { numberFromEnv } from '../../shared/config/env';

/**
 * The function's Redis knobs, from its environment. Timeouts are short by default: a rotation step
 * that waits on a dead node should fail fast and let Secrets Manager retry, not hang until the
 * Lambda timeout.
 */
export interface RedisSettings {
  /** Connect, TLS handshake and authentication, per node. */
  connectTimeoutMs: number;
  /** Each command once connected. */
  commandTimeoutMs: number;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_COMMAND_TIMEOUT_MS = 5_000;

/** 100 ms to 2 minutes: less is a unit mistake (seconds for milliseconds), more is longer than a step should wait. */
function milliseconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  return numberFromEnv(name, fallback, { min: 100, max: 120_000, integer: true, unit: 'milliseconds' }, env);
}

export function redisSettings(env: NodeJS.ProcessEnv = process.env): RedisSettings {
  return {
    connectTimeoutMs: milliseconds(env, 'REDIS_CONNECT_TIMEOUT_MS', DEFAULT_CONNECT_TIMEOUT_MS),
    commandTimeoutMs: milliseconds(env, 'REDIS_COMMAND_TIMEOUT_MS', DEFAULT_COMMAND_TIMEOUT_MS),
  };
}
