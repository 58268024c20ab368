import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One AWS API call as the proxy sees it: the action (`UpdateSecretVersionStage`) and its JSON input. */
export interface Call {
  action: string;
  input: Record<string, unknown>;
}

/**
 * A fault to inject, for calls `matching` (default: every call):
 * - `drop-reply`: forward the call, let the service act on it, then cut the connection instead of
 *   answering: the caller never learns that it happened (`times` calls, default 1);
 * - `throttle`: answer ThrottlingException, as the service does over its rate, on `fraction` of the
 *   calls (deterministic for a given `seed`, so two runs see the same sequence);
 * - `gather`: hold calls until `count` of them have arrived, then forward them together: concurrent
 *   invocations that all read before any of them writes.
 */
export type Fault =
  | { kind: 'drop-reply'; matching?: (call: Call) => boolean; times?: number }
  | { kind: 'throttle'; matching?: (call: Call) => boolean; fraction: number; seed?: number }
  | { kind: 'gather'; matching?: (call: Call) => boolean; count: number };

export interface FaultProxy {
  /** Point AWS_ENDPOINT_URL of the process under test here. */
  endpoint: string;
  /** API calls seen since the last reset, by action ("GetSecretValue": 3), faulted ones included. */
  counts(): Record<string, number>;
  total(): number;
  /** Faults injected since the last reset, by kind. */
  injected(): Record<Fault['kind'], number>;
  reset(): void;
  /** Replace the faults (none: a plain counting proxy). */
  inject(...faults: Fault[]): void;
  stop(): Promise<void>;
}

/** A small seeded PRNG (mulberry32): the same seed gives the same throttling sequence. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function callOf(incoming: IncomingMessage, body: Buffer): Call {
  const header = incoming.headers['x-amz-target'];
  const action = (Array.isArray(header) ? header[0] : header)?.split('.').pop() ?? 'other';
  let input: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8') || '{}');
    if (parsed && typeof parsed === 'object') input = parsed as Record<string, unknown>;
  } catch {
    // Not JSON (another protocol): matched by action only.
  }
  return { action, input };
}

/** What the service answers over its rate, in the JSON protocol the SDK parses. */
function throttle(outgoing: ServerResponse): void {
  outgoing.writeHead(400, {
    'Content-Type': 'application/x-amz-json-1.1',
    'x-amzn-ErrorType': 'ThrottlingException',
  });
  outgoing.end(JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }));
}

interface ArmedFault {
  fault: Fault;
  left: number;
  random: () => number;
  waiting: (() => void)[];
}

/**
 * An HTTP proxy in front of moto (the AWS JSON protocol: X-Amz-Target names the action) that counts
 * calls and injects faults: lost replies, throttling, concurrent arrivals. Give it to one process
 * only (a LocalLambda's environment): it then sees exactly that process's calls, SDK retries
 * included.
 */
export async function startFaultProxy(upstream: string, ...initial: Fault[]): Promise<FaultProxy> {
  const target = new URL(upstream);
  let counts: Record<string, number> = {};
  let injected: Record<Fault['kind'], number> = { 'drop-reply': 0, throttle: 0, gather: 0 };
  let armed: ArmedFault[] = [];
  const arm = (faults: Fault[]) => {
    armed = faults.map((fault) => ({
      fault,
      left: fault.kind === 'drop-reply' ? (fault.times ?? 1) : Number.POSITIVE_INFINITY,
      random: seeded(fault.kind === 'throttle' ? (fault.seed ?? 1) : 1),
      waiting: [],
    }));
  };
  arm(initial);

  const forward = (
    incoming: IncomingMessage,
    body: Buffer,
    answer: (status: number, headers: Record<string, unknown>, payload: Buffer) => void,
  ) => {
    const upstreamCall = request(
      {
        hostname: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      async (reply) => {
        const chunks: Buffer[] = [];
        for await (const chunk of reply) chunks.push(chunk as Buffer);
        answer(reply.statusCode ?? 502, reply.headers, Buffer.concat(chunks));
      },
    );
    upstreamCall.on('error', () => answer(502, {}, Buffer.alloc(0)));
    upstreamCall.end(body);
  };

  const server = createServer(async (incoming, outgoing) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const call = callOf(incoming, body);
    counts[call.action] = (counts[call.action] ?? 0) + 1;
    const applies = (entry: ArmedFault) => entry.left > 0 && (entry.fault.matching?.(call) ?? true);

    const throttling = armed.find((entry) => entry.fault.kind === 'throttle' && applies(entry));
    if (
      throttling &&
      throttling.fault.kind === 'throttle' &&
      throttling.random() < throttling.fault.fraction
    ) {
      injected.throttle++;
      throttle(outgoing);
      return;
    }
    const gathering = armed.find((entry) => entry.fault.kind === 'gather' && applies(entry));
    if (gathering && gathering.fault.kind === 'gather') {
      const { count } = gathering.fault;
      await new Promise<void>((release) => {
        gathering.waiting.push(release);
        if (gathering.waiting.length >= count) {
          injected.gather++;
          gathering.left = 0;
          for (const next of gathering.waiting.splice(0)) next();
        }
      });
    }
    const dropping = armed.find((entry) => entry.fault.kind === 'drop-reply' && applies(entry));
    if (dropping) dropping.left--;
    forward(incoming, body, (status, headers, payload) => {
      if (dropping) {
        // The service has acted on the call; its answer never arrives.
        injected['drop-reply']++;
        outgoing.socket?.destroy();
        return;
      }
      outgoing.writeHead(status, headers as Record<string, string>);
      outgoing.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts: () => ({ ...counts }),
    total: () => Object.values(counts).reduce((sum, n) => sum + n, 0),
    injected: () => ({ ...injected }),
    reset: () => {
      counts = {};
      injected = { 'drop-reply': 0, throttle: 0, gather: 0 };
    },
    inject: (...faults) => arm(faults),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const entry of armed) for (const release of entry.waiting.splice(0)) release();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
