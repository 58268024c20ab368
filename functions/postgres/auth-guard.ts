import { EventEmitter } from 'node:events';

/** The AuthenticationRequest codes pg can answer: Ok, CleartextPassword, MD5Password, SASL (three). */
const ANSWERABLE = new Set([0, 3, 5, 10, 11, 12]);

/** The protocol's names for the codes a server may send, for the refusal message. */
const NAMES: Record<number, string> = {
  2: 'Kerberos V5',
  6: 'SCM credentials',
  7: 'GSSAPI',
  8: 'GSSAPI continue',
  9: 'SSPI',
};

export const authenticationName = (code: number): string => NAMES[code] ?? `authentication code ${code}`;

/** The part of pg's Connection the guard wraps: how the protocol parser is attached to a socket. */
export interface ParsedConnection {
  attachListeners(stream: NodeJS.ReadableStream): void;
  emit(event: 'error', error: Error): boolean;
}

/**
 * Before pg's parser sees a byte, frame the messages of the login phase and stop at an
 * authentication request pg cannot answer (GSSAPI, SSPI, Kerberos...). pg's parser throws on those
 * from inside the socket's 'data' handler, which crashes the process instead of failing the login;
 * here the connection fails with `refuse(code)` and the socket is destroyed. Once the server says
 * AuthenticationOk, bytes pass through untouched (the guard costs nothing after login).
 */
export function guardAuthentication(connection: ParsedConnection, refuse: (code: number) => Error): void {
  const attach = connection.attachListeners.bind(connection);
  connection.attachListeners = (stream) => {
    const screened = new EventEmitter();
    let pending = Buffer.alloc(0);
    let loggedIn = false;
    stream.on('data', (chunk: Buffer) => {
      if (loggedIn) {
        screened.emit('data', chunk);
        return;
      }
      pending = Buffer.concat([pending, chunk]);
      let offset = 0;
      while (!loggedIn && pending.length - offset >= 5) {
        const length = pending.readInt32BE(offset + 1);
        if (pending.length - offset < length + 1) break;
        if (pending[offset] === 0x52 /* 'R' */ && length >= 8) {
          const code = pending.readInt32BE(offset + 5);
          if (!ANSWERABLE.has(code)) {
            (stream as unknown as { destroy(): void }).destroy();
            connection.emit('error', refuse(code));
            return;
          }
          if (code === 0) loggedIn = true;
        }
        offset += length + 1;
      }
      // Keep the unframed tail for the next chunk's framing; pg gets every byte now, since it keeps
      // its own buffer of partial messages.
      pending = loggedIn ? Buffer.alloc(0) : pending.subarray(offset);
      screened.emit('data', chunk);
    });
    stream.on('end', () => screened.emit('end'));
    attach(screened as unknown as NodeJS.ReadableStream);
  };
}
