import { Buffer } from 'node:buffer';
import type { Duplex } from 'node:stream';

/** One RESP command, as the protocol frames it (an array of bulk strings). */
function command(...args: string[]): Buffer {
  const parts = [`*${args.length}\r\n`];
  for (const arg of args) parts.push(`$${Buffer.byteLength(arg, 'utf8')}\r\n${arg}\r\n`);
  return Buffer.from(parts.join(''), 'utf8');
}

export type AuthReply = { ok: true } | { ok: false; error: string };

/**
 * `AUTH <username> <password>` on a fresh connection, and its one-line reply (`+OK` or an error
 * such as `-WRONGPASS ...`). The connection is left exactly after the reply, so the client library
 * can take it over as if it had authenticated it itself.
 */
export function authenticate(
  stream: Duplex,
  username: string,
  password: string,
  timeoutMs: number,
): Promise<AuthReply> {
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    const finish = (outcome: () => void) => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('error', onError);
      stream.off('close', onClose);
      outcome();
    };
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n');
      if (end < 0) return;
      const line = received.subarray(0, end).toString('utf8');
      const rest = received.subarray(end + 2);
      finish(() => {
        // Nothing else was asked, so nothing else should follow; if it did, it is the library's.
        if (rest.length > 0) stream.unshift(rest);
        if (line.startsWith('+')) resolve({ ok: true });
        else if (line.startsWith('-')) resolve({ ok: false, error: line.slice(1) });
        else reject(new Error(`unexpected reply to AUTH from the Redis server (${JSON.stringify(line[0])})`));
      });
    };
    const onError = (error: Error) => finish(() => reject(error));
    const onClose = () =>
      finish(() => reject(new Error('the Redis server closed the connection during AUTH')));
    const timer = setTimeout(
      () => finish(() => reject(new Error(`no reply to AUTH within ${timeoutMs} ms`))),
      timeoutMs,
    );
    stream.on('data', onData);
    stream.once('error', onError);
    stream.once('close', onClose);
    stream.write(command('AUTH', username, password));
  });
}
