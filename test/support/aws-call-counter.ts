import { createServer, type IncomingMessage } from 'node:http';

/**
 * A pass-through HTTP proxy in front of moto that counts AWS API calls by operation
 * (`X-Amz-Target: secretsmanager.GetSecretValue` -> `GetSecretValue`). Point a function's
 * AWS_ENDPOINT_URL at it to measure how many calls a rotation makes.
 */
export interface AwsCallCounter {
  endpoint: string;
  counts(): Record<string, number>;
  total(): number;
  reset(): void;
  stop(): Promise<void>;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

export async function startAwsCallCounter(target: string): Promise<AwsCallCounter> {
  let counts: Record<string, number> = {};
  const server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      const amzTarget = request.headers['x-amz-target'];
      const operation = (typeof amzTarget === 'string' ? amzTarget.split('.').pop() : undefined) ?? 'other';
      counts[operation] = (counts[operation] ?? 0) + 1;
      const headers = new Headers();
      for (const [name, value] of Object.entries(request.headers)) {
        if (value === undefined || name === 'host' || name === 'connection') continue;
        headers.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
      const upstream = await fetch(new URL(request.url ?? '/', target), {
        method: request.method ?? 'POST',
        headers,
        ...(body.length > 0 ? { body } : {}),
      });
      const reply = Buffer.from(await upstream.arrayBuffer());
      const replyHeaders: Record<string, string> = {};
      upstream.headers.forEach((value, name) => {
        if (!['content-length', 'transfer-encoding', 'connection', 'content-encoding'].includes(name)) {
          replyHeaders[name] = value;
        }
      });
      response.writeHead(upstream.status, { ...replyHeaders, 'content-length': String(reply.length) });
      response.end(reply);
    })().catch((error: unknown) => {
      response.writeHead(502);
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('counter did not get a port');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
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
