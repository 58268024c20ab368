import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import type { Redis } from 'ioredis';
import { loadCaBundle } from '../../shared/net/ca-bundle';
import { type Deadline, untilDeadline } from '../../shared/net/deadline';
import { ConnectDeadlineError, type FailureContext, redisFailure } from './errors';
import type { Credential, RedisNode } from './secret';
import type { RedisSettings } from './settings';

/** How to reach a node: TLS unless the secret says exactly `tls: false`; within the step's deadline. */
export interface TransportOptions {
  tls: boolean;
  settings: RedisSettings;
  deadline: Deadline;
}

/** Facts for error messages that stay the same for every call on one connection. */
export type SessionContext = Omit<FailureContext, 'doing' | 'node' | 'timeoutMs' | 'answered' | 'tls'>;

/**
 * One authenticated connection to one node. Every call is translated into the suite's typed errors
 * naming the node and what was being done.
 */
export class RedisSession {
  readonly #disconnectAtDeadline = () => this.client.disconnect();

  constructor(
    readonly node: RedisNode,
    private readonly client: Redis,
    private readonly context: SessionContext,
    private readonly settings: RedisSettings,
    private readonly deadline: Deadline,
  ) {
    // A command waiting on a node that went silent stops when the invocation's deadline fires.
    deadline.signal.addEventListener('abort', this.#disconnectAtDeadline, { once: true });
  }

  async call(doing: string, command: string, ...args: string[]): Promise<unknown> {
    this.deadline.waitingFor(`${this.node.address}: ${doing}`);
    try {
      return await this.client.call(command, ...args);
    } catch (error) {
      throw redisFailure(error, this.failureContext(doing));
    }
  }

  /** The node has answered on this connection (HELLO at least): whatever fails now, TLS is not it. */
  failureContext(doing: string): FailureContext {
    return {
      ...this.context,
      node: this.node,
      doing,
      timeoutMs: this.settings.commandTimeoutMs,
      answered: true,
    };
  }

  close(): void {
    this.deadline.signal.removeEventListener('abort', this.#disconnectAtDeadline);
    this.client.disconnect();
  }
}

/** Verified TLS; REDIS_CA_BUNDLE (when set) is read on the first TLS connection, then kept. */
function tlsOptions(host: string): ConnectionOptions {
  const ca = loadCaBundle('REDIS_CA_BUNDLE');
  return {
    rejectUnauthorized: true,
    // SNI only for names; Node verifies an address against the certificate's IP SANs.
    ...(isIP(host) ? {} : { servername: host }),
    ...(ca ? { ca } : {}),
  };
}

/**
 * Open a fresh connection and authenticate (ioredis sends `HELLO 3 AUTH user pass`). No reconnect,
 * no offline queue, no retries: a dead node fails this step at once with a typed error, and
 * Secrets Manager's own retry is the only retry. One deadline covers TCP, TLS and authentication,
 * because a server that accepts and never answers would otherwise hold the step until the Lambda
 * timeout.
 */
async function openSession(
  node: RedisNode,
  credential: Credential,
  transport: TransportOptions,
  context: SessionContext,
): Promise<RedisSession> {
  const { settings, deadline } = transport;
  deadline.waitingFor(`connecting to ${node.address}`);
  const failure = (error: unknown) =>
    redisFailure(error, {
      ...context,
      tls: transport.tls,
      // HELLO is the first command: until the connection is ready, the node has answered nothing.
      answered: false,
      node,
      doing: 'connecting and authenticating',
      timeoutMs: settings.connectTimeoutMs,
    });
  const tls = transport.tls ? tlsOptions(node.host) : undefined;
  // Loaded with the first connection, not at cold start (ioredis is about 170 KB to compile), so
  // createSecret, which never connects, does not pay for it. ioredis is CommonJS: its
  // module.exports, the Redis class, is the default export both bundled and under Node.
  const { default: Redis } = await import('ioredis');
  const client = new Redis({
    host: node.host,
    port: node.port,
    username: credential.username,
    password: credential.password,
    ...(tls ? { tls } : {}),
    lazyConnect: true,
    connectTimeout: settings.connectTimeoutMs,
    commandTimeout: settings.commandTimeoutMs,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    // The ready check runs INFO and client info runs CLIENT SETINFO: an application user may be
    // allowed neither, and neither is needed.
    enableReadyCheck: false,
    disableClientInfo: true,
  });
  // The connect promise only says "Connection is closed."; the reason (WRONGPASS, a TLS error)
  // arrives as an 'error' event. Listening also stops ioredis printing unhandled errors.
  let firstError: unknown;
  client.on('error', (error: unknown) => {
    firstError ??= error;
  });
  let timer: NodeJS.Timeout | undefined;
  const connectDeadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      // ioredis says 'connecting' until the TCP (and TLS) connection is up, 'connect' while authenticating.
      () => reject(new ConnectDeadlineError(client.status === 'connecting' ? 'handshake' : 'authentication')),
      settings.connectTimeoutMs,
    );
  });
  const connecting = client.connect();
  // When the deadline wins, the connect promise still settles later; nobody must be left waiting.
  connecting.catch(() => undefined);
  try {
    await untilDeadline(
      deadline,
      () => client.disconnect(),
      () => Promise.race([connecting, connectDeadline]),
    );
  } catch (error) {
    client.disconnect();
    throw failure(error instanceof ConnectDeadlineError ? error : (firstError ?? error));
  } finally {
    clearTimeout(timer);
  }
  return new RedisSession(node, client, context, settings, deadline);
}

/** Run `work` on a fresh session and always close it. */
export async function withSession<T>(
  node: RedisNode,
  credential: Credential,
  transport: TransportOptions,
  context: SessionContext,
  work: (session: RedisSession) => Promise<T>,
): Promise<T> {
  const session = await openSession(node, credential, transport, context);
  try {
    return await work(session);
  } finally {
    session.close();
  }
}
