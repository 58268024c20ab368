import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountingProxy {
  endpoint: string;
  /** API calls seen, by operation (`secretsmanager.GetSecretValue` -> 3). */
  counts: Map<string, number>;
  total(prefix?: string): number;
  reset(): void;
  stop(): Promise<void>;
}

/**
 * A reverse proxy in front of moto that counts AWS API calls by operation (the X-Amz-Target header
 * of JSON-protocol services such as Secrets Manager). Point a function's AWS_ENDPOINT_URL here to
 * count exactly the calls it makes, and nothing the test driver makes.
 */
export async function startCountingProxy(upstream: string): Promise<CountingProxy> {
  const target = new URL(upstream);
  const counts = new Map<string, number>();
  const server = createServer((incoming, outgoing) => {
    const operation = String(incoming.headers['x-amz-target'] ?? `${incoming.method} ${incoming.url}`);
    counts.set(operation, (counts.get(operation) ?? 0) + 1);
    const forward = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, host: target.host },
      },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(outgoing);
      },
    );
    forward.on('error', () => {
      outgoing.writeHead(502);
      outgoing.end();
    });
    incoming.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts,
    total: (prefix = '') =>
      [...counts].filter(([op]) => op.startsWith(prefix)).reduce((sum, [, n]) => sum + n, 0),
    reset: () => counts.clear(),
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
