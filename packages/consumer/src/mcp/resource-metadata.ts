/** RFC 9728's well-known path segment. */
export const PROTECTED_RESOURCE_WELL_KNOWN = '/.well-known/oauth-protected-resource';

/**
 * The OAuth 2.0 Protected Resource Metadata document (RFC 9728 section 2), with the fields an MCP
 * server publishes. MCP 2025-06-18 requires `authorization_servers` with at least one entry.
 */
export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  bearer_methods_supported: string[];
  scopes_supported?: string[];
  resource_name?: string;
  resource_documentation?: string;
}

export interface ProtectedResourceOptions {
  /** The MCP endpoint's URL, e.g. `https://mcp.example.com/mcp`: the resource identifier. */
  resource: string | URL;
  /** Issuer URLs of the authorization servers whose tokens this server accepts. */
  authorizationServers: readonly string[];
  scopesSupported?: readonly string[];
  resourceName?: string;
  resourceDocumentation?: string;
}

/**
 * Where the metadata of `resource` lives (RFC 9728 section 3.1): the well-known segment goes between
 * the host and the resource's path, so `https://h/mcp` has `https://h/.well-known/oauth-protected-resource/mcp`.
 */
export function protectedResourceMetadataUrl(resource: string | URL): URL {
  const url = new URL(resource);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return new URL(`${PROTECTED_RESOURCE_WELL_KNOWN}${path}`, url.origin);
}

export function protectedResourceMetadata(options: ProtectedResourceOptions): ProtectedResourceMetadata {
  const resource = new URL(options.resource);
  if (resource.hash !== '') throw new Error('the resource identifier must not have a fragment (RFC 9728)');
  if (options.authorizationServers.length === 0) {
    throw new Error('MCP requires at least one authorization server in the protected-resource metadata');
  }
  return {
    // As given: clients compare it with the URL they used, character for character (section 3.3).
    resource: typeof options.resource === 'string' ? options.resource : resource.href,
    authorization_servers: [...options.authorizationServers],
    // Tokens are read from the Authorization header only (RFC 6750 section 2.1).
    bearer_methods_supported: ['header'],
    ...(options.scopesSupported ? { scopes_supported: [...options.scopesSupported] } : {}),
    ...(options.resourceName ? { resource_name: options.resourceName } : {}),
    ...(options.resourceDocumentation ? { resource_documentation: options.resourceDocumentation } : {}),
  };
}
