import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountingProxy {
  /** Point AWS_ENDPOINT_URL of the process to measure here. */
  endpoint: string;
  /** API calls seen since the last reset, by action ("GetSecretValue": 3). */
  counts(): Record<string, number>;
  total(): number;
  reset(): void;
  stop(): Promise<void>;
}

/**
 * An HTTP proxy in front of moto that counts AWS API calls by action (the X-Amz-Target header of
 * the JSON protocol, e.g. `secretsmanager.GetSecretValue`). Give it to one process only (a
 * LocalLambda's environment), and it measures exactly that process's calls: retries included.
 */
export async function startCountingProxy(upstream: string): Promise<CountingProxy> {
  const target = new URL(upstream);
  let counts: Record<string, number> = {};
  const server = createServer((incoming, outgoing) => {
    const header = incoming.headers['x-amz-target'];
    const action = (Array.isArray(header) ? header[0] : header)?.split('.').pop() ?? 'other';
    counts[action] = (counts[action] ?? 0) + 1;
    const forward = request(
      {
        hostname: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
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
    counts: () => ({ ...counts }),
    total: () => Object.values(counts).reduce((sum, n) => sum + n, 0),
    reset: () => {
      counts = {};
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
