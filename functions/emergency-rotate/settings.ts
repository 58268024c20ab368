import { numberFromEnv } from '../../shared/config/env';
import type { WaitOptions } from './wait-for-promotion';

/** How long to wait for the rotation to be promoted (EMERGENCY_WAIT_SECONDS) and how often to look. */
export function waitOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): WaitOptions {
  return {
    timeoutMs:
      numberFromEnv('EMERGENCY_WAIT_SECONDS', 600, { min: 1, max: 900, unit: 'seconds' }, env) * 1000,
    pollMs: numberFromEnv(
      'EMERGENCY_POLL_MS',
      2000,
      { min: 10, max: 60_000, integer: true, unit: 'milliseconds' },
      env,
    ),
  };
}
