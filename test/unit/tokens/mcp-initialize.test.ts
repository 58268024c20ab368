import { Readable } from 'node:stream';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { MCP_PROTOCOL_VERSION } from '../../../functions/mcp-token/initialize';
import { readSseMessage, readText } from '../../../functions/mcp-token/response-body';

const where = 'MCP server at h';
const isOne = (message: unknown) =>
  typeof message === 'object' && message !== null && 'id' in message && message.id === 1;

describe('the MCP initialize probe', () => {
  it('speaks the SDK’s latest protocol revision', () => {
    expect(MCP_PROTOCOL_VERSION).toBe(LATEST_PROTOCOL_VERSION);
  });
});

describe('reading an SSE answer', () => {
  it('joins multi-line data, skips notifications and comments, and survives chunks split anywhere', async () => {
    const body =
      ': comment\n\nevent: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress"}\n\n' +
      'id: 7\ndata: {"jsonrpc":"2.0","id":1,\ndata: "result":{"ok":true}}\n\n';
    const chunks = body.match(/.{1,5}/gs) ?? [];
    const message = await readSseMessage(Readable.from(chunks), { where, deadlineMs: 1000 }, isOne);
    expect(message).toEqual({ jsonrpc: '2.0', id: 1, result: { ok: true } });
  });

  it('stops at the answer without waiting for the stream to end', async () => {
    const stream = new Readable({ read() {} });
    stream.push('data: {"id":1}\n\n');
    const started = performance.now();
    expect(await readSseMessage(stream, { where, deadlineMs: 5000 }, isOne)).toEqual({ id: 1 });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(stream.destroyed).toBe(true);
  });

  it('fails clearly when the stream ends without an answer', async () => {
    await expect(
      readSseMessage(Readable.from(['data: {"id":2}\n\n']), { where, deadlineMs: 1000 }, isOne),
    ).rejects.toThrow('MCP server at h ended its event stream without answering initialize');
  });

  it('gives up at the deadline on a stream that never answers', async () => {
    const stream = new Readable({ read() {} });
    stream.push(': still thinking\n\n');
    await expect(readSseMessage(stream, { where, deadlineMs: 100 }, isOne)).rejects.toMatchObject({
      name: 'TargetUnreachableError',
      message: 'MCP server at h did not finish its answer within 100 ms',
    });
  });

  it('refuses an answer larger than the limit', async () => {
    const stream = Readable.from([Buffer.alloc(600, 'a'), Buffer.alloc(600, 'a')]);
    await expect(readText(stream, { where, deadlineMs: 1000, maxBytes: 1000 })).rejects.toMatchObject({
      name: 'McpProtocolError',
      message: 'MCP server at h sent more than 1000 bytes for one answer',
    });
  });
});
