import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A loopback HTTP server that accepts anything and records everything it receives: connections
 * (even ones that never send a request) and requests with their headers and bodies. Security
 * tests point hostile secrets at it to prove that nothing was sent.
 */
export interface RecordingServer {
  url: string;
  port: number;
  connections(): number;
  requests(): readonly RecordedRequest[];
  /** Everything received, as one string, to search for a credential. */
  received(): string;
  stop(): Promise<void>;
}

/** How the server answers; by default 200 with `{}`. */
export type Responder = (request: RecordedRequest) => {
  status: number;
  headers?: Record<string, string>;
  body?: string;
};

export async function startRecordingServer(
  respond: Responder = () => ({ status: 200, headers: { 'Content-Type': 'application/json' }, body: '{}' }),
): Promise<RecordingServer> {
  let connections = 0;
  const requests: RecordedRequest[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const recorded = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body,
      };
      requests.push(recorded);
      const answer = respond(recorded);
      response.writeHead(answer.status, answer.headers ?? {}).end(answer.body ?? '');
    });
  });
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    connections: () => connections,
    requests: () => requests,
    received: () => JSON.stringify(requests),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
