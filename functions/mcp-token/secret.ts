import * as z from 'zod/mini';
import { checkResolvedUrl, checkUrl } from '../../shared/net/url-policy';
import { parserFor } from '../../shared/rotation/secret-format';
import { mcpDestinations } from './settings';

/**
 * `{ token, expires_at, scopes, issuer, server_url }`: the bearer token an MCP client presents to the
 * MCP server at `server_url`, valid until `expires_at` (ISO 8601), granting `scopes`, issued by
 * `issuer` (who minted it, for the server's audit). Unknown keys are kept through rotations.
 */
const McpTokenSecretSchema = z.looseObject({
  token: z.string().check(z.minLength(1)),
  expires_at: z.iso.datetime({ offset: true }),
  scopes: z.array(z.string().check(z.minLength(1))),
  issuer: z.string().check(z.minLength(1)),
  server_url: z.string().check(z.minLength(1)),
});
export type McpTokenSecret = z.infer<typeof McpTokenSecretSchema>;

export const parseMcpTokenSecret = parserFor(McpTokenSecretSchema, 'mcp-token');

/** `server_url` through the function's destination policy (settings.ts, docs/security.md). */
export function serverUrlOf(secret: McpTokenSecret): URL {
  return checkUrl(secret.server_url, { field: '`server_url`', destinations: mcpDestinations() });
}

/** serverUrlOf, plus every address the host resolves to now: createSecret refuses before storing. */
export async function resolvedServerUrlOf(secret: McpTokenSecret): Promise<URL> {
  const url = serverUrlOf(secret);
  await checkResolvedUrl(url, '`server_url`');
  return url;
}
