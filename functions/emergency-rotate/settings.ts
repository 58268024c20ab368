import { listFromEnv, numberFromEnv } from '../../shared/config/env';
import { ConfigurationError } from '../../shared/errors';
import { unqualifiedFunctionArn } from '../../shared/rotation/own-function';
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

export const SUITE_FUNCTIONS_VARIABLE = 'SUITE_ROTATION_FUNCTION_ARNS';

/**
 * The suite's own rotation functions (SUITE_ROTATION_FUNCTION_ARNS, comma-separated, set by
 * template.yaml), without qualifiers: the only functions emergency-rotate rotates secrets through
 * and sends a revoke to. Unset or malformed is a ConfigurationError: an empty list would either
 * refuse everything silently or, worse, be read as "anything goes".
 */
export function suiteRotationFunctions(env: NodeJS.ProcessEnv = process.env): ReadonlySet<string> {
  const listed = listFromEnv(SUITE_FUNCTIONS_VARIABLE, env);
  if (listed.length === 0) {
    throw new ConfigurationError(
      `${SUITE_FUNCTIONS_VARIABLE} is not set: emergency-rotate does not know the suite's rotation functions, so it rotates nothing`,
      {
        action: `Deploy with template.yaml (it sets ${SUITE_FUNCTIONS_VARIABLE}), or set it to the comma-separated ARNs of the suite's rotation functions.`,
      },
    );
  }
  const arns = listed.map((entry) => unqualifiedFunctionArn(entry));
  const bad = listed.filter((_, index) => arns[index] === undefined);
  if (bad.length > 0) {
    throw new ConfigurationError(
      `${SUITE_FUNCTIONS_VARIABLE} holds ${bad.length} entr${bad.length === 1 ? 'y' : 'ies'} that are not Lambda function ARNs (${bad.join(', ')})`,
      { action: `List full ARNs: arn:aws:lambda:<region>:<account>:function:<name>.` },
    );
  }
  return new Set(arns as string[]);
}
