import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  host: string;
  port: number;
  /**
   * For the next connection only: once the server's first reply has reached the client, hold what
   * the client sends next. Resolves when that moment comes: the client is then provably mid-session
   * (it has been answered) and waiting, whatever the server does now.
   */
  holdAfterFirstReply(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A TCP proxy on loopback in front of a real server, mirroring each side's close to the other (a
 * server that restarts closes its clients). Tests use it to pin the moment of a fault to a point in
 * a protocol exchange.
 */
export async function startTcpProxy(upstreamHost: string, upstreamPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let armed: (() => void) | undefined;
  const server = createServer((client) => {
    const upstream = connect(upstreamPort, upstreamHost);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    const reached = armed;
    armed = undefined;
    let holding = false;
    upstream.on('data', (chunk: Buffer) => {
      client.write(chunk);
      if (reached && !holding) {
        holding = true;
        reached();
      }
    });
    client.on('data', (chunk: Buffer) => {
      if (!holding) upstream.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    holdAfterFirstReply: () =>
      new Promise<void>((resolve) => {
        armed = resolve;
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
