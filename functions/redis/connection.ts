import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { Redis } from 'ioredis';
import { loadCaBundle } from '../../shared/net/ca-bundle';
import { ConnectDeadlineError, type FailureContext, redisFailure } from './errors';
import type { Credential, RedisNode } from './secret';
import type { RedisSettings } from './settings';

/** How to reach a node: TLS unless the secret says exactly `tls: false`. */
export interface TransportOptions {
  tls: boolean;
  settings: RedisSettings;
}

/** Facts for error messages that stay the same for every call on one connection. */
export type SessionContext = Omit<FailureContext, 'doing' | 'node' | 'timeoutMs'>;

/**
 * One authenticated connection to one node. Every call is translated into the suite's typed errors
 * naming the node and what was being done.
 */
export class RedisSession {
  constructor(
    readonly node: RedisNode,
    private readonly client: Redis,
    private readonly context: SessionContext,
    private readonly settings: RedisSettings,
  ) {}

  async call(doing: string, command: string, ...args: string[]): Promise<unknown> {
    try {
      return await this.client.call(command, ...args);
    } catch (error) {
      throw redisFailure(error, this.failureContext(doing));
    }
  }

  failureContext(doing: string): FailureContext {
    return { ...this.context, node: this.node, doing, timeoutMs: this.settings.commandTimeoutMs };
  }

  close(): void {
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
  const { settings } = transport;
  const failure = (error: unknown) =>
    redisFailure(error, {
      ...context,
      tls: transport.tls,
      node,
      doing: 'connecting and authenticating',
      timeoutMs: settings.connectTimeoutMs,
    });
  const tls = transport.tls ? tlsOptions(node.host) : undefined;
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
  const deadline = new Promise<never>((_, reject) => {
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
    await Promise.race([connecting, deadline]);
  } catch (error) {
    client.disconnect();
    throw failure(error instanceof ConnectDeadlineError ? error : (firstError ?? error));
  } finally {
    clearTimeout(timer);
  }
  return new RedisSession(node, client, context, settings);
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
