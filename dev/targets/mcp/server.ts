import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { bearerTokenFrom, type BearerVerifier } from '../../../packages/consumer/src/bearer-verifier';
import { bearerChallenge } from '../../../packages/consumer/src/mcp/challenge';
import { listen, readBody, sendJson } from '../../lib/http-server';

export interface McpServerCounters {
  /** HTTP requests whose token was accepted, and by which label. */
  accepted: number;
  acceptedByStage: Record<string, number>;
  rejected: number;
  rejectedByReason: Record<string, number>;
  sessionsOpened: number;
  sessionsClosed: number;
  toolCalls: number;
}

export interface LocalMcpServer {
  /** The Streamable HTTP endpoint: the secret's `server_url`. */
  url: string;
  counters: McpServerCounters;
  /** When set, every request is answered with this status before any check (an outage). */
  forceStatus: number | undefined;
  /** Sessions still open (a prober that does not end its session leaves one here). */
  openSessions(): number;
  resetCounters(): void;
  stop(): Promise<void>;
}

export interface McpServerOptions {
  verifier: BearerVerifier;
  path?: string;
  /** Scopes a token must carry (its secret's `scopes`); missing ones get 403 insufficient_scope. */
  requiredScopes?: readonly string[];
  /** Answer with JSON bodies instead of SSE streams (both are valid Streamable HTTP). */
  jsonResponses?: boolean;
}

function emptyCounters(): McpServerCounters {
  return {
    accepted: 0,
    acceptedByStage: {},
    rejected: 0,
    rejectedByReason: {},
    sessionsOpened: 0,
    sessionsClosed: 0,
    toolCalls: 0,
  };
}

/**
 * An MCP server over Streamable HTTP (the official SDK), stateful, whose bearer auth is a
 * BearerVerifier on the mcp-token secret: every HTTP request is authenticated, a refused token gets
 * `401` with `WWW-Authenticate: Bearer error="invalid_token", error_description="..."`. One tool,
 * `whoami`, answers with the label and scopes the caller's token was accepted with.
 */
export async function startMcpServer(options: McpServerOptions): Promise<LocalMcpServer> {
  const path = options.path ?? '/mcp';
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const handle: LocalMcpServer = {
    url: '',
    counters: emptyCounters(),
    forceStatus: undefined,
    openSessions: () => transports.size,
    resetCounters() {
      handle.counters = emptyCounters();
    },
    stop: async () => {},
  };

  function newSession(): StreamableHTTPServerTransport {
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: options.jsonResponses ?? false,
      onsessioninitialized: (sessionId) => {
        transports.set(sessionId, transport);
        handle.counters.sessionsOpened++;
      },
    });
    transport.onclose = () => {
      if (transport.sessionId && transports.delete(transport.sessionId)) handle.counters.sessionsClosed++;
    };
    const server = new McpServer({ name: 'rotation-test-mcp', version: '1.0.0' });
    server.registerTool(
      'whoami',
      { description: 'Which label and scopes the presented token was accepted with' },
      (extra) => {
        handle.counters.toolCalls++;
        const stage = String(extra.authInfo?.extra?.stage ?? 'unknown');
        const scopes = extra.authInfo?.scopes ?? [];
        return { content: [{ type: 'text', text: JSON.stringify({ stage, scopes }) }] };
      },
    );
    void server.connect(transport);
    return transport;
  }

  const http = await listen(async (req, res) => {
    if (handle.forceStatus !== undefined) {
      sendJson(res, handle.forceStatus, { error: 'forced by the test' });
      return;
    }
    if (new URL(req.url ?? '/', 'http://x').pathname !== path) {
      sendJson(res, 404, { error: 'not found' });
      return;
    }
    const auth = await authenticate(req, options, handle.counters);
    if ('status' in auth) {
      sendJson(
        res,
        auth.status,
        { error: auth.error, error_description: auth.description },
        {
          'WWW-Authenticate': auth.challenge,
        },
      );
      return;
    }
    const request = Object.assign(req, { auth });
    const body = req.method === 'POST' ? parseJson(await readBody(req, 1024 * 1024)) : undefined;
    const sessionId = req.headers['mcp-session-id'];
    const existing = typeof sessionId === 'string' ? transports.get(sessionId) : undefined;
    if (existing) {
      await existing.handleRequest(request, res, body);
    } else if (sessionId === undefined && req.method === 'POST' && isInitializeRequest(body)) {
      await newSession().handleRequest(request, res, body);
    } else {
      sendJson(res, sessionId === undefined ? 400 : 404, {
        jsonrpc: '2.0',
        id: null,
        error: {
          code: -32000,
          message: sessionId === undefined ? 'no session: initialize first' : 'unknown session',
        },
      });
    }
  });
  handle.url = `${http.origin}${path}`;
  handle.stop = async () => {
    await Promise.all([...transports.values()].map((transport) => transport.close()));
    await http.stop();
  };
  return handle;
}

type AuthOutcome = AuthInfo | { status: 401 | 403; error: string; description: string; challenge: string };

async function authenticate(
  req: IncomingMessage,
  options: McpServerOptions,
  counters: McpServerCounters,
): Promise<AuthOutcome> {
  const token = bearerTokenFrom(req.headers.authorization);
  const result = await options.verifier.verify(token);
  if (!result.ok) {
    counters.rejected++;
    counters.rejectedByReason[result.reason] = (counters.rejectedByReason[result.reason] ?? 0) + 1;
    return {
      status: 401,
      error: 'invalid_token',
      description: result.description,
      challenge: bearerChallenge({ error: 'invalid_token', errorDescription: result.description }),
    };
  }
  const scopes = Array.isArray(result.claims.scopes)
    ? result.claims.scopes.filter((scope): scope is string => typeof scope === 'string')
    : [];
  const missing = (options.requiredScopes ?? []).filter((scope) => !scopes.includes(scope));
  if (missing.length > 0) {
    counters.rejected++;
    counters.rejectedByReason.insufficient_scope = (counters.rejectedByReason.insufficient_scope ?? 0) + 1;
    const description = `the token lacks scope ${missing.join(' ')}`;
    return {
      status: 403,
      error: 'insufficient_scope',
      description,
      challenge: bearerChallenge({
        error: 'insufficient_scope',
        errorDescription: description,
        scope: (options.requiredScopes ?? []).join(' '),
      }),
    };
  }
  counters.accepted++;
  counters.acceptedByStage[result.stage] = (counters.acceptedByStage[result.stage] ?? 0) + 1;
  return {
    token: token ?? '',
    clientId: typeof result.claims.issuer === 'string' ? result.claims.issuer : 'unknown',
    scopes,
    ...(result.expiresAt ? { expiresAt: Math.floor(result.expiresAt.getTime() / 1000) } : {}),
    extra: { stage: result.stage, versionId: result.versionId },
  };
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return text;
  }
}
