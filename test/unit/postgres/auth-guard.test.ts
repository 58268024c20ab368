import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { guardAuthentication } from '../../../functions/postgres/auth-guard';

/** An authentication request: 'R', length, code (and a body for MD5's salt). */
function authRequest(code: number, body = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(9);
  header.write('R', 0, 'latin1');
  header.writeInt32BE(8 + body.length, 1);
  header.writeInt32BE(code, 5);
  return Buffer.concat([header, body]);
}

/** A fake pg Connection: records what its parser is handed and which error it emits. */
function guarded() {
  const socket = Object.assign(new EventEmitter(), { destroyed: false, destroy: () => undefined });
  socket.destroy = () => {
    socket.destroyed = true;
  };
  const parsed: Buffer[] = [];
  const errors: Error[] = [];
  const connection = {
    attachListeners(stream: NodeJS.ReadableStream) {
      stream.on('data', (chunk: Buffer) => parsed.push(chunk));
    },
    emit: (_event: 'error', error: Error) => errors.push(error) > 0,
  };
  guardAuthentication(connection, (code) => new Error(`refused code ${code}`));
  connection.attachListeners(socket as unknown as NodeJS.ReadableStream);
  return { socket, parsed, errors };
}

describe('guardAuthentication', () => {
  it('stops at GSSAPI even when the request arrives one byte at a time, before pg parses it', () => {
    const { socket, parsed, errors } = guarded();
    const request = authRequest(7);
    for (const byte of request) socket.emit('data', Buffer.from([byte]));
    expect(errors.map((e) => e.message)).toEqual(['refused code 7']);
    expect(socket.destroyed).toBe(true);
    expect(Buffer.concat(parsed).length).toBe(request.length - 1);
  });

  it('passes what pg can answer (MD5, SASL), and everything after AuthenticationOk, untouched', () => {
    const { socket, parsed, errors } = guarded();
    const md5 = authRequest(5, Buffer.from([1, 2, 3, 4]));
    const ok = authRequest(0);
    // After login the guard no longer frames: not even an 'R' code 9 is looked at.
    const after = authRequest(9);
    socket.emit('data', Buffer.concat([md5, ok.subarray(0, 3)]));
    socket.emit('data', Buffer.concat([ok.subarray(3), after]));
    expect(errors).toEqual([]);
    expect(Buffer.concat(parsed)).toEqual(Buffer.concat([md5, ok, after]));
  });
});
