import { timeoutFromEnv } from '../../shared/config/env';

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
const DEFAULT_COMMAND_TIMEOUT_MS = 5_000;

/** Up to 2 minutes: a Redis command that takes longer is a dead node, not a slow one. */
const MAX_TIMEOUT_MS = 120_000;

export function redisSettings(env: NodeJS.ProcessEnv = process.env): RedisSettings {
  return {
    connectTimeoutMs: timeoutFromEnv(
      'REDIS_CONNECT_TIMEOUT_MS',
      DEFAULT_CONNECT_TIMEOUT_MS,
      MAX_TIMEOUT_MS,
      env,
    ),
    commandTimeoutMs: timeoutFromEnv(
      'REDIS_COMMAND_TIMEOUT_MS',
      DEFAULT_COMMAND_TIMEOUT_MS,
      MAX_TIMEOUT_MS,
      env,
    ),
  };
}
