import { createClient, type RedisClientOptions, type RedisClientType } from 'redis';
import type { SecretCache } from '../secret-cache.js';
import type { OnRetry } from '../retry.js';
import { endpointOf, isNoAuth, isWrongPass, type RedisCredential, redisCredential } from './credential.js';

export interface NodeRedisRotationOptions {
  cache: SecretCache;
  /** Name or ARN of the redis secret (self-managed or ElastiCache/MemoryDB format). */
  secretId: string;
  /** Override the secret's host and port (ElastiCache secrets may name none). */
  host?: string;
  port?: number;
  onRetry?: OnRetry;
}

/** node-redis's `socket` options for the secret's endpoint. */
export interface RedisSocketTarget {
  host: string;
  port: number;
  tls?: true;
  servername?: string;
}

export interface NodeRedisRotation {
  /** For createClient's `credentialsProvider`: called on every (re)connect, answers AWSCURRENT. */
  readonly credentialsProvider: {
    readonly type: 'async-credentials-provider';
    credentials: () => Promise<{ username: string; password: string }>;
  };
  /** For createClient's `socket`: host, port and TLS as the secret says (or the overrides). */
  socket(): Promise<RedisSocketTarget>;
  /**
   * Watch a client built with `credentialsProvider`: a WRONGPASS at (re)connect invalidates the
   * secret, so node-redis's next reconnect reads the new login, and a command refused with NOAUTH
   * (node-redis sends queued commands right behind its AUTH; when the AUTH fails they are refused
   * unrun) is sent once more. Returns the client to use in place of the one given.
   */
  wrap<C extends object>(client: C): C;
}

/**
 * The pieces that make a node-redis client follow rotations, for clients you create yourself
 * (createRotatingRedisClient puts them together).
 */
export function nodeRedisRotation(options: NodeRedisRotationOptions): NodeRedisRotation {
  const credential = redisCredential(options.cache, options.secretId);
  let lastUsed: RedisCredential | undefined;

  const recover = async (): Promise<boolean> =>
    lastUsed !== undefined && (await credential.afterRejection(lastUsed)) !== undefined;

  return {
    credentialsProvider: {
      type: 'async-credentials-provider',
      async credentials() {
        const login = await credential.current();
        lastUsed = login;
        return { username: login.username, password: login.password };
      },
    },

    async socket() {
      const login = await credential.current();
      const { host, port } = endpointOf(login, options.secretId, options);
      return login.tls ? { host, port, tls: true, servername: host } : { host, port };
    },

    wrap<C extends object>(client: C): C {
      const events = client as unknown as { on(event: 'error', listener: (error: unknown) => void): unknown };
      // A refused handshake: node-redis reconnects on its own, with what credentials() then reads.
      events.on('error', (error) => {
        if (!isWrongPass(error)) return;
        recover().then(
          (changed) => changed && options.onRetry?.({ secretId: options.secretId, reason: 'wrongpass' }),
          () => undefined,
        );
      });
      const proxy: C = new Proxy(client, {
        get(target, property) {
          const value: unknown = Reflect.get(target, property, target);
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            // Methods run on the client itself: node-redis keeps its state in private fields.
            const call = () => (value as (...a: unknown[]) => unknown).apply(target, args);
            const asProxy = (result: unknown) => (result === target ? proxy : result);
            const result = call();
            if (!isThenable(result)) return asProxy(result);
            return result.then(asProxy, async (error: unknown) => {
              if (!(isNoAuth(error) || isWrongPass(error)) || !(await recover())) throw error;
              options.onRetry?.({ secretId: options.secretId, reason: 'noauth' });
              return asProxy(await call());
            });
          };
        },
      });
      return proxy;
    },
  };
}

export interface RotatingRedisClientOptions extends NodeRedisRotationOptions {
  /** Your other createClient options (not `credentialsProvider`, `username` or `password`). */
  clientOptions?: Omit<RedisClientOptions, 'credentialsProvider' | 'username' | 'password' | 'url'>;
}

/** A node-redis client (not yet connected) that follows rotations; `await client.connect()` as usual. */
export async function createRotatingRedisClient(
  options: RotatingRedisClientOptions,
): Promise<RedisClientType> {
  const rotation = nodeRedisRotation(options);
  const { clientOptions } = options;
  const socket = { ...(await rotation.socket()), ...clientOptions?.socket } as RedisClientOptions['socket'];
  const client = createClient({
    ...clientOptions,
    socket,
    credentialsProvider: rotation.credentialsProvider,
  }) as unknown as RedisClientType;
  return rotation.wrap(client);
}

function isThenable(value: unknown): value is Promise<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
