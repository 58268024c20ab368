import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type BearerVerifier,
  bearerTokenFrom,
  type RejectReason,
  type VerifyResult,
} from '../bearer-verifier.js';
import { bearerChallenge } from './challenge.js';
import {
  type ProtectedResourceMetadata,
  type ProtectedResourceOptions,
  protectedResourceMetadata,
  protectedResourceMetadataUrl,
} from './resource-metadata.js';

export interface McpBearerAuthOptions extends ProtectedResourceOptions {
  verifier: BearerVerifier;
  /** Scopes every request needs; a token without them gets 403 insufficient_scope. */
  requiredScopes?: readonly string[];
  /** The secret key holding the token's scopes (an array of strings). Default `scopes`. */
  scopesField?: string;
}

/** What the MCP SDK's server transports read from `req.auth` (its AuthInfo), built from a verified token. */
export interface McpAuthInfo {
  token: string;
  clientId: string;
  scopes: string[];
  /** Seconds since the epoch. */
  expiresAt?: number;
  resource?: URL;
  extra: { stage: string; versionId: string };
}

export type McpAuthOutcome =
  | { ok: true; authInfo: McpAuthInfo; result: Extract<VerifyResult, { ok: true }> }
  | {
      ok: false;
      status: 401 | 403;
      /** Why: the verifier's reason (401), or a valid token without the required scopes (403). */
      reason: RejectReason | 'insufficient_scope';
      /** The WWW-Authenticate value to send. */
      challenge: string;
      /** The JSON body to send: `{ error, error_description }`. */
      body: { error: string; error_description: string };
    };

/**
 * Bearer authentication for an MCP server as the MCP authorization spec (2025-06-18) asks of a
 * resource server: tokens verified by a BearerVerifier (AWSCURRENT, AWSPREVIOUS and AWSPENDING
 * accepted), 401 answers carrying `WWW-Authenticate: Bearer resource_metadata="..."` and, when a
 * token was sent but refused, RFC 6750's `error="invalid_token"` with a description; 403
 * `insufficient_scope` for a valid token without the required scopes; and the RFC 9728 metadata
 * document served at its well-known URL.
 */
export class McpBearerAuth {
  readonly metadata: ProtectedResourceMetadata;
  /** The absolute URL of the metadata document (what `resource_metadata` points at). */
  readonly metadataUrl: string;
  /** Its path, for routing: `/.well-known/oauth-protected-resource/<resource path>`. */
  readonly metadataPath: string;
  readonly #verifier: BearerVerifier;
  readonly #requiredScopes: readonly string[];
  readonly #scopesField: string;
  readonly #resource: URL;

  constructor(options: McpBearerAuthOptions) {
    this.metadata = protectedResourceMetadata(options);
    const url = protectedResourceMetadataUrl(options.resource);
    this.metadataUrl = url.href;
    this.metadataPath = url.pathname;
    this.#verifier = options.verifier;
    this.#requiredScopes = options.requiredScopes ?? [];
    this.#scopesField = options.scopesField ?? 'scopes';
    this.#resource = new URL(options.resource);
  }

  /** Verify the request's `Authorization` header; the outcome says what to answer. */
  async authenticate(authorization: string | readonly string[] | undefined): Promise<McpAuthOutcome> {
    const token = bearerTokenFrom(authorization);
    const result = await this.#verifier.verify(token);
    if (!result.ok) {
      // RFC 6750 section 3.1: a request without any token gets the challenge but no error code.
      const challenge =
        result.reason === 'missing'
          ? bearerChallenge({ resourceMetadata: this.metadataUrl })
          : bearerChallenge({
              resourceMetadata: this.metadataUrl,
              error: 'invalid_token',
              errorDescription: result.description,
            });
      const body = { error: 'invalid_token', error_description: result.description };
      return { ok: false, status: 401, reason: result.reason, challenge, body };
    }
    const scopes = this.#scopesOf(result.claims);
    const missing = this.#requiredScopes.filter((scope) => !scopes.includes(scope));
    if (missing.length > 0) {
      const description = `the token lacks scope ${missing.join(' ')}`;
      return {
        ok: false,
        status: 403,
        reason: 'insufficient_scope',
        challenge: bearerChallenge({
          resourceMetadata: this.metadataUrl,
          error: 'insufficient_scope',
          errorDescription: description,
          scope: this.#requiredScopes.join(' '),
        }),
        body: { error: 'insufficient_scope', error_description: description },
      };
    }
    const issuer = result.claims.issuer;
    return {
      ok: true,
      result,
      authInfo: {
        token: token ?? '',
        clientId: typeof issuer === 'string' ? issuer : 'unknown',
        scopes,
        ...(result.expiresAt ? { expiresAt: Math.floor(result.expiresAt.getTime() / 1000) } : {}),
        resource: this.#resource,
        extra: { stage: result.stage, versionId: result.versionId },
      },
    };
  }

  /**
   * For node:http servers: on success, sets `req.auth` (what the MCP SDK's transports read) and
   * returns it; otherwise answers 401/403 with the challenge and returns undefined.
   */
  async authorize(req: IncomingMessage, res: ServerResponse): Promise<McpAuthInfo | undefined> {
    const outcome = await this.authenticate(req.headers.authorization);
    if (outcome.ok) {
      Object.assign(req, { auth: outcome.authInfo });
      return outcome.authInfo;
    }
    res
      .writeHead(outcome.status, {
        'Content-Type': 'application/json',
        'WWW-Authenticate': outcome.challenge,
        'Cache-Control': 'no-store',
      })
      .end(JSON.stringify(outcome.body));
    return undefined;
  }

  /**
   * For node:http servers: answers a GET (or HEAD, or a CORS preflight) of the metadata path with
   * the document and returns true; returns false for every other request.
   */
  serveMetadata(req: IncomingMessage, res: ServerResponse): boolean {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== this.metadataPath) return false;
    // Public by design: browser-based MCP clients fetch it cross-origin (RFC 9728 section 3).
    const cors = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'GET, OPTIONS' };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...cors, 'Access-Control-Allow-Headers': 'mcp-protocol-version' }).end();
    } else if (req.method === 'GET' || req.method === 'HEAD') {
      const body = JSON.stringify(this.metadata);
      res.writeHead(200, { ...cors, 'Content-Type': 'application/json', 'Cache-Control': 'max-age=3600' });
      res.end(req.method === 'GET' ? body : undefined);
    } else {
      res.writeHead(405, { ...cors, Allow: 'GET, HEAD, OPTIONS' }).end();
    }
    return true;
  }

  /** For fetch-style servers (Response in, Response out): the 401/403 answer of a failed outcome. */
  static response(outcome: Extract<McpAuthOutcome, { ok: false }>): Response {
    return new Response(JSON.stringify(outcome.body), {
      status: outcome.status,
      headers: {
        'Content-Type': 'application/json',
        'WWW-Authenticate': outcome.challenge,
        'Cache-Control': 'no-store',
      },
    });
  }

  #scopesOf(claims: Readonly<Record<string, unknown>>): string[] {
    const value = claims[this.#scopesField];
    if (Array.isArray(value)) return value.filter((scope): scope is string => typeof scope === 'string');
    // A space-separated string, as OAuth's `scope` parameter is.
    return typeof value === 'string' ? value.split(' ').filter(Boolean) : [];
  }
}
