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

/** The ElastiCache/MemoryDB user strategy's knobs (the self-managed one reads none of them). */
export interface AwsUserSettings {
  /**
   * The first pause between DescribeUsers polls while a user is `modifying`; each next pause
   * doubles, up to USER_POLL_MAX_MS, and none outlasts the invocation.
   */
  pollMs: number;
  /** Each ElastiCache/MemoryDB API call, connection included. */
  apiTimeoutMs: number;
}

/** The longest pause between two polls: a change usually lands within seconds to a minute. */
export const USER_POLL_MAX_MS = 5_000;
const DEFAULT_USER_POLL_MS = 500;
const DEFAULT_USER_API_TIMEOUT_MS = 10_000;

export function awsUserSettings(env: NodeJS.ProcessEnv = process.env): AwsUserSettings {
  return {
    pollMs: timeoutFromEnv('REDIS_USER_POLL_MS', DEFAULT_USER_POLL_MS, USER_POLL_MAX_MS, env),
    apiTimeoutMs: timeoutFromEnv(
      'REDIS_USER_API_TIMEOUT_MS',
      DEFAULT_USER_API_TIMEOUT_MS,
      MAX_TIMEOUT_MS,
      env,
    ),
  };
}
