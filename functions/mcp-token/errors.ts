import { RotationError, TargetError } from '../../shared/errors';

/** MCP_TOKEN_LIFETIME_DAYS or MCP_TOKEN_GRACE_DAYS is not a usable number. Retrying will not help. */
export class TokenLifetimeConfigError extends RotationError {
  override readonly name: string = 'TokenLifetimeConfigError';
}

/** The MCP server answered, but not with a valid `initialize` result (a JSON-RPC error, a bad body). */
export class McpProtocolError extends TargetError {
  override readonly name: string = 'McpProtocolError';
}
