import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Something that runs an event: a LocalLambda's invoke, or an in-process handler in tests. */
export type LocalFunction = (event: unknown) => Promise<unknown>;

export interface LocalLambdaServer {
  endpoint: string;
  /** Route invocations of `name` (a function name, or the last segment of an ARN) to `run`. */
  register(name: string, run: LocalFunction): void;
  /** Names invoked so far, in order (for tests). */
  invocations: string[];
  stop(): Promise<void>;
}

/** `my-fn`, or `arn:aws:lambda:region:acct:function:my-fn[:qualifier]` -> `my-fn`. */
function functionNameOf(nameOrArn: string): string {
  const match = /:function:([^:]+)/.exec(nameOrArn);
  return match?.[1] ?? nameOrArn;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

/**
 * The Lambda Invoke API (`POST /2015-03-31/functions/{name}/invocations`) on loopback, routed to
 * local functions: what `sam local start-lambda` offers, without Docker. Point the SDK at it with
 * AWS_ENDPOINT_URL_LAMBDA. A handler error comes back the way Lambda reports it: status 200,
 * `X-Amz-Function-Error: Unhandled`, and `{ errorType, errorMessage, trace }`.
 */
export async function startLocalLambdaServer(): Promise<LocalLambdaServer> {
  const functions = new Map<string, LocalFunction>();
  const invocations: string[] = [];

  const server: Server = createServer(async (request, response) => {
    const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(request.url ?? '');
    if (request.method !== 'POST' || !match?.[1]) {
      send(response, 404, { Type: 'User', message: 'Unknown operation' });
      return;
    }
    const name = functionNameOf(decodeURIComponent(match[1]));
    const run = functions.get(name);
    if (!run) {
      send(
        response,
        404,
        { Type: 'User', message: `Function not found: ${name}` },
        {
          'x-amzn-ErrorType': 'ResourceNotFoundException',
        },
      );
      return;
    }
    invocations.push(name);
    const body = await readBody(request);
    const event: unknown = body ? JSON.parse(body) : {};
    if (request.headers['x-amz-invocation-type'] === 'Event') {
      send(response, 202, {});
      void run(event).catch(() => undefined);
      return;
    }
    try {
      send(response, 200, (await run(event)) ?? null);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      send(
        response,
        200,
        { errorType: failure.name, errorMessage: failure.message, trace: (failure.stack ?? '').split('\n') },
        { 'X-Amz-Function-Error': 'Unhandled' },
      );
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    register: (name, run) => void functions.set(functionNameOf(name), run),
    invocations,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
