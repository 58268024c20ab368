import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { AbstractConnector, Redis, type RedisOptions } from 'ioredis';
import type { SecretCache } from '../secret-cache.js';
import type { OnRetry } from '../retry.js';
import type { RotatingCredential } from '../secret-value.js';
import { authenticate } from './auth-handshake.js';
import { endpointOf, type RedisCredential, redisCredential } from './credential.js';

export interface RotatingIoredisOptions {
  cache: SecretCache;
  /** Name or ARN of the redis secret (self-managed or ElastiCache/MemoryDB format). */
  secretId: string;
  /** Override the secret's host and port (ElastiCache secrets may name none). */
  host?: string;
  port?: number;
  /** TLS options (a CA bundle...); `false` for plaintext. Default: the secret's `tls` flag. */
  tls?: ConnectionOptions | false;
  onRetry?: OnRetry;
}

/** The options of a connection, as ioredis hands them to its connector. */
interface ConnectorOptions {
  host?: string;
  port?: number;
  tls?: ConnectionOptions;
  connectTimeout?: number;
  disconnectTimeout?: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * Options for `new Redis(...)` (or a Cluster's `redisOptions`) that authenticate every connection,
 * the first and each reconnect, with the secret's AWSCURRENT login as it is at that moment. On
 * WRONGPASS (the cached login was revoked or retired) the secret is invalidated, re-read and AUTH
 * is sent once more with the new login on the same connection; commands queued meanwhile wait in
 * ioredis's offline queue and never see the refusal. Spread your own options over them, except
 * `username`, `password` and `Connector`.
 */
export async function rotatingIoredisOptions(options: RotatingIoredisOptions): Promise<RedisOptions> {
  const credential = redisCredential(options.cache, options.secretId);
  const first = await credential.current();
  const { host, port } = endpointOf(first, options.secretId, options);
  const tls =
    options.tls === false ? undefined : (options.tls ?? (first.tls ? { servername: host } : undefined));
  return {
    host,
    port,
    ...(tls ? { tls } : {}),
    Connector: rotatingConnector(credential, options.onRetry),
  };
}

/** `new Redis(await rotatingIoredisOptions(...) + extra)`, in one call. */
export async function createRotatingIoredis(
  options: RotatingIoredisOptions & { redisOptions?: RedisOptions },
): Promise<Redis> {
  const { redisOptions, ...rotation } = options;
  return new Redis({ ...redisOptions, ...(await rotatingIoredisOptions(rotation)) });
}

/**
 * An ioredis connector that opens the socket and sends AUTH itself, so the login is read when the
 * connection is made (ioredis alone computes it once from static options). ioredis then sends no
 * AUTH of its own: no `password` reaches its options.
 */
export function rotatingConnector(
  credential: RotatingCredential<RedisCredential>,
  onRetry?: OnRetry,
): new (options: unknown) => AbstractConnector {
  return class RotatingConnector extends AbstractConnector {
    readonly #options: ConnectorOptions;

    constructor(options: unknown) {
      const connectorOptions = options as ConnectorOptions;
      super(connectorOptions.disconnectTimeout ?? 2000);
      this.#options = connectorOptions;
    }

    /**
     * Resolves with the authenticated socket, or with a destroyed one whose `firstError` says why:
     * ioredis then reports the error and reconnects per its retryStrategy (a rejection would end
     * the client for good).
     */
    async connect(): Promise<Socket | TLSSocket> {
      this.connecting = true;
      const timeoutMs = this.#options.connectTimeout || DEFAULT_CONNECT_TIMEOUT_MS;
      const stream = this.#open();
      this.stream = stream;
      stream.once('error', (error: Error) => {
        this.firstError ??= error;
      });
      const timer = setTimeout(() => stream.destroy(new Error('connect ETIMEDOUT')), timeoutMs);
      const ready = connected(stream, this.#options.tls);
      ready.catch(() => undefined);
      try {
        const [login] = await Promise.all([credential.current(), ready]);
        await this.#authenticate(stream, login, timeoutMs);
        if (!this.connecting) throw new Error('Connection is closed.');
      } catch (error) {
        this.firstError = error instanceof Error ? error : new Error(String(error));
        stream.destroy();
      } finally {
        clearTimeout(timer);
      }
      return stream;
    }

    #open(): Socket | TLSSocket {
      const { host, port, tls } = this.#options;
      return tls
        ? tlsConnect({ host, port, servername: host, ...tls })
        : netConnect({ host, port: port ?? 6379 });
    }

    async #authenticate(
      stream: Socket | TLSSocket,
      login: RedisCredential,
      timeoutMs: number,
    ): Promise<void> {
      const reply = await authenticate(stream, login.username, login.password, timeoutMs);
      if (reply.ok) return;
      if (!/^WRONGPASS\b/.test(reply.error)) throw new Error(reply.error);
      const fresh = await credential.afterRejection(login);
      if (!fresh) throw refused(credential.secretId, login.username, reply.error);
      onRetry?.({ secretId: credential.secretId, reason: 'wrongpass' });
      const again = await authenticate(stream, fresh.username, fresh.password, timeoutMs);
      if (!again.ok) throw refused(credential.secretId, fresh.username, again.error);
    }
  };
}

function refused(secretId: string, username: string, reply: string): Error {
  return new Error(`Redis refused user ${username} of secret ${secretId} AWSCURRENT: ${reply}`);
}

/** Resolves once the socket is connected (TLS: handshake done); rejects with its error. */
function connected(stream: Socket | TLSSocket, tls: ConnectionOptions | undefined): Promise<void> {
  const event = tls ? 'secureConnect' : 'connect';
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      stream.off(event, onConnect);
      reject(error);
    };
    const onConnect = () => {
      stream.off('error', onError);
      resolve();
    };
    stream.once(event, onConnect);
    stream.once('error', onError);
  });
}
