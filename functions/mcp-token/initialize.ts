import type { Readable } from 'node:stream';
import * as z from 'zod/mini';
import type { Deadline } from '../../shared/net/deadline';
import { httpRequest, httpTimeoutMs } from '../../shared/net/http';
import { quoteTarget } from '../../shared/observability/redaction';
import { describeIssues } from '../../shared/rotation/secret-format';
import { initializeRefusal, McpProtocolError } from './errors';
import { readSseMessage, readText } from './response-body';

/**
 * The MCP revision this client speaks: the TypeScript SDK's LATEST_PROTOCOL_VERSION at the version
 * this suite tests against (a unit test keeps the two equal). A server that only speaks an older
 * revision answers with its own; that still proves the token.
 */
export const MCP_PROTOCOL_VERSION = '2025-11-25';
const CLIENT_INFO = { name: 'secret-rotation-suite', version: '0.1.0' };
const REQUEST_ID = 1;

const InitializeResultSchema = z.looseObject({
  protocolVersion: z.string().check(z.minLength(1)),
  capabilities: z.looseObject({}),
  serverInfo: z.looseObject({ name: z.string(), version: z.string() }),
});
const SuccessSchema = z.looseObject({
  jsonrpc: z.literal('2.0'),
  id: z.literal(REQUEST_ID),
  result: InitializeResultSchema,
});
const ErrorSchema = z.looseObject({
  jsonrpc: z.literal('2.0'),
  error: z.looseObject({ code: z.number(), message: z.string() }),
});

export interface InitializeOutcome {
  protocolVersion: string;
  serverName: string;
  /** What happened to the session the server opened: ended with DELETE, or there was none. */
  session: 'none' | 'ended' | 'end-refused' | 'end-failed';
}

/**
 * Prove a bearer token against an MCP server the way a client uses it: an `initialize` request over
 * Streamable HTTP. The answer may be a JSON body or an SSE stream; a JSON-RPC result passes, a 401
 * or 403 fails with the server's WWW-Authenticate reason, a JSON-RPC error fails with its message.
 * A session the server opened is then ended (DELETE), so probes do not pile up on the server.
 *
 * Written over axios rather than the SDK's Client: see docs/mcp-token.md (bundle size).
 */
export async function initializeWithToken(
  serverUrl: URL,
  token: string,
  deadline: Deadline,
  timeoutMs = httpTimeoutMs(),
): Promise<InitializeOutcome> {
  const where = `MCP server at ${serverUrl.host}`;
  const response = await httpRequest<Readable>({
    method: 'POST',
    url: serverUrl,
    purpose: 'MCP server',
    field: '`server_url`',
    headers: {
      Accept: 'application/json, text/event-stream',
      'Content-Type': 'application/json',
      Authorization: `Bearer ${token}`,
    },
    data: {
      jsonrpc: '2.0',
      id: REQUEST_ID,
      method: 'initialize',
      params: { protocolVersion: MCP_PROTOCOL_VERSION, capabilities: {}, clientInfo: CLIENT_INFO },
    },
    responseType: 'stream',
    timeoutMs,
    deadline,
  });
  const reading = { where, deadlineMs: timeoutMs, signal: deadline.signal };

  if (response.status !== 200) {
    const detail = await errorBodyMessage(response.data, { ...reading, maxBytes: 8192 });
    throw initializeRefusal(where, response, detail);
  }

  const contentType = String(response.headers['content-type'] ?? '')
    .split(';')[0]
    ?.trim()
    .toLowerCase();
  let message: unknown;
  if (contentType === 'text/event-stream') {
    message = await readSseMessage(response.data, reading, isAnswerToInitialize);
  } else if (contentType === 'application/json') {
    message = parseJson(await readText(response.data, reading), where);
  } else {
    response.data.destroy();
    throw new McpProtocolError(
      `${where} answered initialize with content type "${contentType}", not JSON or an event stream`,
      { action: 'Check that server_url is the MCP endpoint itself (often ending in /mcp).' },
    );
  }
  const result = initializeResultOf(message, where);
  const sessionId = response.headers['mcp-session-id'];
  return {
    protocolVersion: result.protocolVersion,
    serverName: result.serverInfo.name,
    session:
      typeof sessionId === 'string' && sessionId !== ''
        ? await endSession(serverUrl, token, sessionId, result.protocolVersion, timeoutMs, deadline)
        : 'none',
  };
}

function isAnswerToInitialize(message: unknown): boolean {
  if (message === null || typeof message !== 'object' || !('id' in message)) return false;
  // An error about a request the server could not even parse carries id null.
  return message.id === REQUEST_ID || (message.id === null && 'error' in message);
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new McpProtocolError(`${where} answered initialize with a body that is not JSON`);
  }
}

function initializeResultOf(message: unknown, where: string): z.infer<typeof InitializeResultSchema> {
  const error = ErrorSchema.safeParse(message);
  if (error.success) {
    const { code, message: text } = error.data.error;
    throw new McpProtocolError(
      `${where} answered initialize with JSON-RPC error ${code}: ${quoteTarget(text, 200)}`,
    );
  }
  const success = SuccessSchema.safeParse(message);
  if (!success.success) {
    throw new McpProtocolError(
      `${where} answered initialize with an invalid result: ${describeIssues(success.error.issues, message).join('; ')}`,
    );
  }
  return success.data.result;
}

/** The JSON-RPC error message of an error body, if it has one; bodies are never quoted raw. */
async function errorBodyMessage(
  stream: Readable,
  reading: { where: string; deadlineMs: number; maxBytes: number },
): Promise<string | undefined> {
  try {
    const parsed = ErrorSchema.safeParse(JSON.parse(await readText(stream, reading)));
    return parsed.success ? quoteTarget(parsed.data.error.message, 200) : undefined;
  } catch {
    stream.destroy();
    return undefined;
  }
}

/**
 * End the session the probe opened. Its outcome never fails the rotation: the token is proven, and
 * a server may refuse client-side termination (405) or forget idle sessions on its own.
 */
async function endSession(
  serverUrl: URL,
  token: string,
  sessionId: string,
  protocolVersion: string,
  timeoutMs: number,
  deadline: Deadline,
): Promise<InitializeOutcome['session']> {
  try {
    const response = await httpRequest({
      method: 'DELETE',
      url: serverUrl,
      purpose: 'MCP server',
      field: '`server_url`',
      headers: {
        Authorization: `Bearer ${token}`,
        'Mcp-Session-Id': sessionId,
        'MCP-Protocol-Version': protocolVersion,
      },
      responseType: 'text',
      timeoutMs,
      deadline,
    });
    return response.status >= 200 && response.status < 300 ? 'ended' : 'end-refused';
  } catch (error) {
    // Past the deadline the invocation has failed: nothing to report as a session outcome.
    if (deadline.signal.aborted) throw error;
    return 'end-failed';
  }
}
