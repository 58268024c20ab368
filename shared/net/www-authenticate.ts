import { quoteTarget } from '../observability/redaction';

/**
 * RFC 6750 bearer challenges (`WWW-Authenticate: Bearer error="invalid_token", error_description="..."`),
 * read by rotators to say why a token was refused. The servers that send them build them with the
 * consumer package's `bearerChallenge` (packages/consumer/src/mcp/challenge.ts).
 */
export interface BearerChallenge {
  error?: string;
  errorDescription?: string;
  realm?: string;
  scope?: string;
}

/** How much of a server-chosen description goes into an error message: enough to act on, no essay. */
const MAX_DESCRIPTION = 200;

/**
 * The Bearer challenge's parameters from a WWW-Authenticate header, or undefined when there is none.
 * Values come from the server: control characters are dropped and the description is scrubbed of
 * every remembered secret before it is truncated (quoteTarget), so a server echoing a token back in
 * a long description cannot leave a part of it at the cut.
 */
export function parseBearerChallenge(header: unknown): BearerChallenge | undefined {
  const raw = Array.isArray(header) ? header.join(', ') : header;
  if (typeof raw !== 'string') return undefined;
  const start = raw.search(/(^|[\s,])Bearer(\s|$)/i);
  if (start < 0) return undefined;
  const rest = raw.slice(start).replace(/^[\s,]*Bearer/i, '');
  const params: Record<string, string> = {};
  // auth-param = token "=" ( token / quoted-string ); stop at the next scheme (a token without "=").
  const pattern = /\s*,?\s*([A-Za-z_][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))/y;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(rest)) !== null) {
    const key = (match[1] ?? '').toLowerCase();
    const value = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] ?? '');
    params[key] ??= clean(value);
  }
  return {
    ...(params.error !== undefined ? { error: quoteTarget(params.error, MAX_DESCRIPTION) } : {}),
    ...(params.error_description !== undefined
      ? { errorDescription: quoteTarget(params.error_description, MAX_DESCRIPTION) }
      : {}),
    ...(params.realm !== undefined ? { realm: params.realm } : {}),
    ...(params.scope !== undefined ? { scope: params.scope } : {}),
  };
}

function clean(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
}

/** "invalid_token: the token has expired", for error messages; empty when the server said nothing. */
export function describeChallenge(challenge: BearerChallenge | undefined): string {
  if (!challenge) return '';
  const parts = [challenge.error, challenge.errorDescription].filter(
    (part): part is string => part !== undefined && part !== '',
  );
  return parts.join(': ');
}
