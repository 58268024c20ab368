import { ConfigurationError, type RotationError, TargetError } from '../../shared/errors';
import { errorForBearerStatus } from '../../shared/net/http-status';

/** MCP_TOKEN_LIFETIME_DAYS or MCP_TOKEN_GRACE_DAYS is not a usable number. Retrying will not help. */
export class TokenLifetimeConfigError extends ConfigurationError {
  override readonly name: string = 'TokenLifetimeConfigError';
}

/** The MCP server answered, but not with a valid `initialize` result (a JSON-RPC error, a bad body). */
export class McpProtocolError extends TargetError {
  override readonly name: string = 'McpProtocolError';
}

/**
 * The MCP server's refusal of `initialize` with the pending token (any answer but 200), named after
 * its status and WWW-Authenticate challenge; `detail` is what the body's JSON-RPC error said.
 */
export function initializeRefusal(
  where: string,
  answer: { status: number; headers: Readonly<Record<string, unknown>> },
  detail: string | undefined,
): RotationError {
  const failure = errorForBearerStatus({
    where,
    credential: 'the pending token',
    status: answer.status,
    headers: answer.headers,
    ...(detail ? { detail } : {}),
    rejectedAction:
      'Check that the MCP server verifies tokens against this secret with the AWSPENDING label accepted (the BearerVerifier of @secret-rotation-suite/consumer does).',
  });
  return failure ?? new McpProtocolError(`${where} answered initialize with HTTP ${answer.status}, not 200`);
}
