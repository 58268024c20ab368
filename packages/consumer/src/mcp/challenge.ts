/**
 * The parameters of a `WWW-Authenticate: Bearer ...` challenge: RFC 6750 section 3 (`realm`,
 * `scope`, `error`, `error_description`) and RFC 9728 section 5.1 (`resource_metadata`).
 */
export interface BearerChallenge {
  /** The URL of the protected-resource metadata document (required by MCP 2025-06-18). */
  resourceMetadata?: string;
  /** `invalid_request`, `invalid_token` or `insufficient_scope`. Omit it when no token was sent. */
  error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope';
  errorDescription?: string;
  realm?: string;
  scope?: string;
}

function quote(value: string): string {
  // RFC 6750 allows neither `"` nor `\` in these values, nor control characters in a header.
  // eslint-disable-next-line no-control-regex
  return `"${value.replace(/["\\]/g, "'").replace(/[\u0000-\u001f\u007f]+/g, ' ')}"`;
}

/** The header value, e.g. `Bearer resource_metadata="https://...", error="invalid_token", ...`. */
export function bearerChallenge(challenge: BearerChallenge): string {
  const params: string[] = [];
  if (challenge.realm !== undefined) params.push(`realm=${quote(challenge.realm)}`);
  if (challenge.resourceMetadata !== undefined) {
    params.push(`resource_metadata=${quote(challenge.resourceMetadata)}`);
  }
  if (challenge.error !== undefined) params.push(`error=${quote(challenge.error)}`);
  if (challenge.errorDescription !== undefined) {
    params.push(`error_description=${quote(challenge.errorDescription)}`);
  }
  if (challenge.scope !== undefined) params.push(`scope=${quote(challenge.scope)}`);
  return params.length > 0 ? `Bearer ${params.join(', ')}` : 'Bearer';
}
