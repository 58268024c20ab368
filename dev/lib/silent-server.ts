import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface SilentServer {
  host: string;
  port: number;
  /** Connections accepted so far. */
  accepted(): number;
  /** Connections still open (the client has not closed them). */
  open(): number;
  /** Bytes received, over every connection (what the client sent before giving up). */
  received(): number;
  stop(): Promise<void>;
}

/**
 * A TCP server on loopback that accepts every connection, reads whatever arrives and never answers:
 * the database in a VPC that stopped responding, a firewall that drops replies, an HTTP endpoint
 * that hangs. It counts connections and sees when the client closes them.
 */
export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  let received = 0;
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    accepted: () => accepted,
    open: () => sockets.size,
    received: () => received,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
