import { numberFromEnv } from '../../shared/config/env';
import { type DestinationPolicy, destinationPolicyFromEnv } from '../../shared/net/destination-policy';
import { TokenLifetimeConfigError } from './errors';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface TokenLifetime {
  /** The rotation interval: a token is replaced after this many days. */
  lifetimeDays: number;
  /** Extra validity after that, covering late rotations and clients still on AWSPREVIOUS. */
  graceDays: number;
}

const DEFAULT_TOKEN_LIFETIME: TokenLifetime = { lifetimeDays: 30, graceDays: 7 };

function days(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  return numberFromEnv(name, fallback, { min, max: 3650, integer: true }, env, {
    expected: 'a whole number of days',
    refuse: (problem) =>
      new TokenLifetimeConfigError(problem, {
        action: `Fix ${name} in the function's environment (template.yaml).`,
      }),
  });
}

/** MCP_TOKEN_LIFETIME_DAYS (default 30, set it to the rotation schedule) and MCP_TOKEN_GRACE_DAYS (7). */
export function tokenLifetimeFromEnv(env: NodeJS.ProcessEnv = process.env): TokenLifetime {
  return {
    lifetimeDays: days(env, 'MCP_TOKEN_LIFETIME_DAYS', DEFAULT_TOKEN_LIFETIME.lifetimeDays, 1),
    graceDays: days(env, 'MCP_TOKEN_GRACE_DAYS', DEFAULT_TOKEN_LIFETIME.graceDays, 0),
  };
}

/** When a token minted at `now` stops being accepted: one rotation interval plus the grace period. */
export function expiresAt(lifetime: TokenLifetime, now: Date = new Date()): string {
  return new Date(now.getTime() + (lifetime.lifetimeDays + lifetime.graceDays) * DAY_MS).toISOString();
}

/**
 * Where this function may present a token: ALLOWED_HOSTS (template parameter McpAllowedHosts),
 * ALLOW_PRIVATE_DESTINATIONS (McpAllowPrivateDestinations) and ALLOW_LOOPBACK_HTTP
 * (docs/security.md).
 */
export function mcpDestinations(env: NodeJS.ProcessEnv = process.env): DestinationPolicy {
  return destinationPolicyFromEnv(env);
}
