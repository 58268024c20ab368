import { readFileSync } from 'node:fs';
import { numberFromEnv } from '../../shared/config/env';
import { ConfigurationError } from '../../shared/rotation/errors';

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
  /** PEM file of the CA(s) that sign the servers' certificates; unset: Node's default roots. */
  caBundlePath: string | undefined;
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
    caBundlePath: env.REDIS_CA_BUNDLE || undefined,
  };
}

const bundles = new Map<string, Buffer>();

/**
 * The CA bundle, read the first time a TLS connection needs it and kept for the container's life:
 * a cold start that talks plain Redis (or never connects) does not pay for reading it.
 */
export function caBundle(path: string): Buffer {
  let bundle = bundles.get(path);
  if (!bundle) {
    try {
      bundle = readFileSync(path);
    } catch (error) {
      throw new ConfigurationError(
        `REDIS_CA_BUNDLE is ${path}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
        { action: 'Ship the CA bundle with the function or fix REDIS_CA_BUNDLE.' },
      );
    }
    bundles.set(path, bundle);
  }
  return bundle;
}
