import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createParser } from 'eventsource-parser';
import { TargetUnreachableError } from '../../shared/errors';
import { McpProtocolError } from './errors';

/** An initialize result is a few hundred bytes; anything past this is not the server we expect. */
const MAX_BODY_BYTES = 1024 * 1024;

export interface BodyReading {
  /** "MCP server at mcp.example.com", for error messages. */
  where: string;
  deadlineMs: number;
  /** The invocation's deadline: reading stops when it fires. */
  signal?: AbortSignal;
  maxBytes?: number;
}

/**
 * Read a body chunk by chunk until `done` says it has what it needs (then stop, even if the server
 * keeps the stream open), the stream ends, the size limit or the deadline is hit.
 */
async function consume(
  stream: Readable,
  reading: BodyReading,
  onText: (text: string) => boolean,
): Promise<boolean> {
  const limit = reading.maxBytes ?? MAX_BODY_BYTES;
  const decoder = new StringDecoder('utf8');
  let bytes = 0;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    stream.destroy();
  }, reading.deadlineMs);
  const stop = () => stream.destroy();
  reading.signal?.addEventListener('abort', stop, { once: true });
  try {
    for await (const chunk of stream) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      bytes += buffer.length;
      if (bytes > limit) {
        throw new McpProtocolError(`${reading.where} sent more than ${limit} bytes for one answer`);
      }
      // Leaving the loop destroys the stream: an SSE stream kept open is closed from our side.
      if (onText(decoder.write(buffer))) return true;
    }
    return onText(decoder.end());
  } catch (error) {
    if (timedOut) {
      throw new TargetUnreachableError(
        `${reading.where} did not finish its answer within ${reading.deadlineMs} ms`,
      );
    }
    if (error instanceof McpProtocolError) throw error;
    throw new TargetUnreachableError(`${reading.where} broke off its answer`);
  } finally {
    clearTimeout(timer);
    reading.signal?.removeEventListener('abort', stop);
  }
}

/** The whole body as text (a JSON answer, or an error body of a few KB). */
export async function readText(stream: Readable, reading: BodyReading): Promise<string> {
  let text = '';
  await consume(stream, reading, (chunk) => {
    text += chunk;
    return false;
  });
  return text;
}

/**
 * The first message of an SSE stream (`data:` lines of one event, joined) that `isAnswer` accepts.
 * Other events (notifications, a priming event with empty data) are skipped.
 */
export async function readSseMessage(
  stream: Readable,
  reading: BodyReading,
  isAnswer: (message: unknown) => boolean,
): Promise<unknown> {
  let answer: unknown;
  let found = false;
  const parser = createParser({
    onEvent(event) {
      if (found || event.data.trim() === '') return;
      let message: unknown;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (isAnswer(message)) {
        answer = message;
        found = true;
      }
    },
  });
  await consume(stream, reading, (chunk) => {
    parser.feed(chunk);
    return found;
  });
  if (!found) {
    throw new McpProtocolError(`${reading.where} ended its event stream without answering initialize`);
  }
  return answer;
}
