import { generateToken } from '../../shared/credentials/token';
import type { Rotator } from '../../shared/rotation/rotator';
import { holdsToken, retirePreviousVersion } from '../../shared/secrets/retire-previous';
import { initializeWithToken } from './initialize';
import { expiresAt, tokenLifetimeFromEnv } from './settings';
import { type McpTokenSecret, parseMcpTokenSecret, resolvedServerUrlOf, serverUrlOf } from './secret';

/** The readable prefix of generated tokens: a leaked `mcp_...` is recognisable in a scanner. */
const MCP_TOKEN_PREFIX = 'mcp';

/**
 * An MCP server's bearer token. The server verifies tokens against this secret (the BearerVerifier
 * of @secret-rotation-suite/consumer: AWSCURRENT, AWSPREVIOUS and AWSPENDING, each until its
 * `expires_at`), so there is nothing to push to it: a new version is accepted as soon as it is stored.
 */
export const mcpTokenRotator: Rotator<McpTokenSecret> = {
  kind: 'mcp-token',
  parse: parseMcpTokenSecret,

  async create(current) {
    await resolvedServerUrlOf(current);
    return {
      ...current,
      token: generateToken(MCP_TOKEN_PREFIX),
      expires_at: expiresAt(tokenLifetimeFromEnv()),
    };
  },

  async set(_pending, ctx) {
    ctx.annotate({ server: 'verifies tokens against the secret; nothing to push' });
  },

  async test(pending, ctx) {
    const outcome = await initializeWithToken(serverUrlOf(pending), pending.token, ctx);
    ctx.annotate({
      protocolVersion: outcome.protocolVersion,
      serverName: outcome.serverName,
      session: outcome.session,
      expiresAt: pending.expires_at,
    });
  },

  async revoke(previous, ctx) {
    const versionId = await retirePreviousVersion(ctx.secretArn, holdsToken(previous.token), ctx);
    ctx.annotate({ retiredVersion: versionId });
  },
};
