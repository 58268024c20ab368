import { randomUUID } from 'node:crypto';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { BearerVerifier } from '../../../packages/consumer/src/bearer-verifier';
import { McpBearerAuth } from '../../../packages/consumer/src/mcp';
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
  /** What its protected-resource metadata names (MCP requires one). Default: the server's origin. */
  authorizationServers?: string[];
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
 * An MCP server over Streamable HTTP (the official SDK), stateful, whose bearer auth is the
 * consumer package's McpBearerAuth on the mcp-token secret: every HTTP request is authenticated, a
 * refused token gets `401` with `WWW-Authenticate: Bearer resource_metadata="...",
 * error="invalid_token", error_description="..."`, and the RFC 9728 metadata document is served at
 * `/.well-known/oauth-protected-resource/mcp`. One tool, `whoami`, answers with the label and scopes
 * the caller's token was accepted with.
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

  // Made once the port is known (the resource URL names it); requests only come after that.
  const state: { auth?: McpBearerAuth } = {};
  const http = await listen(async (req, res) => {
    const { auth } = state;
    if (handle.forceStatus !== undefined) {
      sendJson(res, handle.forceStatus, { error: 'forced by the test' });
      return;
    }
    if (!auth || auth.serveMetadata(req, res)) return;
    if (new URL(req.url ?? '/', 'http://x').pathname !== path) {
      sendJson(res, 404, { error: 'not found' });
      return;
    }
    const outcome = await auth.authenticate(req.headers.authorization);
    if (!outcome.ok) {
      handle.counters.rejected++;
      const { reason } = outcome;
      handle.counters.rejectedByReason[reason] = (handle.counters.rejectedByReason[reason] ?? 0) + 1;
      sendJson(res, outcome.status, outcome.body, { 'WWW-Authenticate': outcome.challenge });
      return;
    }
    handle.counters.accepted++;
    const stage = outcome.authInfo.extra.stage;
    handle.counters.acceptedByStage[stage] = (handle.counters.acceptedByStage[stage] ?? 0) + 1;
    const request = Object.assign(req, { auth: outcome.authInfo });
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
  state.auth = new McpBearerAuth({
    verifier: options.verifier,
    resource: handle.url,
    authorizationServers: options.authorizationServers ?? [http.origin],
    ...(options.requiredScopes ? { requiredScopes: options.requiredScopes } : {}),
  });
  handle.stop = async () => {
    await Promise.all([...transports.values()].map((transport) => transport.close()));
    await http.stop();
  };
  return handle;
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return text;
  }
}
