import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { PoolClient, PoolConfig, QueryConfig, QueryResult, QueryResultRow } from 'pg';
import type { SecretCache } from '../secret-cache.js';
import type { OnRetry } from '../retry.js';
import { RotatingCredential } from '../secret-value.js';
import {
  isLoginRefused,
  isSessionEnded,
  parsePostgresCredential,
  type PostgresCredential,
  postgresIdentity,
} from './credential.js';

/** pg.Pool's options, less the login: that comes from the secret. */
export type PoolOptions = Omit<PoolConfig, 'user' | 'password' | 'host' | 'port' | 'connectionString'>;

export interface RotatingPoolOptions extends PoolOptions {
  cache: SecretCache;
  /** Name or ARN of the postgres secret (RDS format: host, port, username, password, dbname, ssl). */
  secretId: string;
  /**
   * When AWSCURRENT is refused (28P01) and is still what Secrets Manager holds, try AWSPENDING
   * once: with a single user, between setSecret and finishSecret the server already has the pending
   * password. Default true; needs GetSecretValue on AWSPENDING (refused reads are ignored).
   */
  pendingFallback?: boolean;
  /**
   * Run a `query()` once more when the server ended its session mid-query (57P01: an emergency
   * revoke terminates the old user's sessions). Only for statements that are safe to run twice:
   * a write whose session ended between its commit and the reply would be applied twice. Default
   * false. Never applies to clients taken with connect(): a transaction is the caller's to retry.
   */
  retryTerminatedQueries?: boolean;
  onRetry?: OnRetry;
  /** Told when new connections start using another login. Carries no password. */
  onSwitch?: (event: PoolSwitch) => void;
}

export interface PoolSwitch {
  secretId: string;
  user: string;
  host: string;
  /** `rotation`: AWSCURRENT changed; `refused`: after a 28P01; `pending`: AWSPENDING mid-rotation. */
  reason: 'first' | 'rotation' | 'refused' | 'pending';
}

/** Clients that already carry the listener #guarded adds (pg reuses them across checkouts). */
const guardedClients = new WeakSet<PoolClient>();

interface Generation {
  pool: pg.Pool;
  credential: PostgresCredential;
  key: string;
  via: PoolSwitch['reason'];
}

/**
 * A pg pool that follows rotations. Each login (user and password, from the secret's AWSCURRENT)
 * gets its own pg.Pool; when AWSCURRENT changes (seen at the cache's refresh, or after a refused
 * login) new connections go to a pool for the new login and the old pool is drained: its idle
 * connections close at once, checked-out ones finish what they run and close on release. With
 * alternating users the user name changes too, which a pg.Pool with a fixed `user` cannot follow.
 *
 * While the two pools coexist the service may hold up to twice `max` connections.
 */
export class RotatingPool extends EventEmitter {
  readonly secretId: string;
  readonly #credential: RotatingCredential<PostgresCredential>;
  readonly #poolOptions: PoolOptions;
  readonly #pendingFallback: boolean;
  readonly #retryTerminated: boolean;
  readonly #onRetry: OnRetry | undefined;
  readonly #onSwitch: ((event: PoolSwitch) => void) | undefined;
  #active: Generation | undefined;
  /** The AWSCURRENT login a pending fallback replaced: while the cache still says it, stay put. */
  #fallbackFrom: string | undefined;
  readonly #draining = new Set<pg.Pool>();
  #recovering: Promise<Generation | undefined> | undefined;
  #ended = false;

  constructor(options: RotatingPoolOptions) {
    super();
    const { cache, secretId, pendingFallback, retryTerminatedQueries, onRetry, onSwitch, ...poolOptions } =
      options;
    this.secretId = secretId;
    this.#credential = new RotatingCredential(cache, secretId, parsePostgresCredential, postgresIdentity);
    this.#poolOptions = poolOptions;
    this.#pendingFallback = pendingFallback ?? true;
    this.#retryTerminated = retryTerminatedQueries ?? false;
    this.#onRetry = onRetry;
    this.#onSwitch = onSwitch;
  }

  /** A client for several statements (a transaction); release() it as with pg.Pool. */
  async connect(): Promise<PoolClient> {
    return (await this.#checkout()).client;
  }

  /** One statement on a pooled connection, as pg.Pool's query() (promise form only). */
  async query<R extends QueryResultRow = QueryResultRow>(
    text: string | QueryConfig,
    values?: unknown[],
  ): Promise<QueryResult<R>> {
    const { client, generation } = await this.#checkout();
    try {
      return await this.#run<R>(client, text, values);
    } catch (error) {
      if (!this.#retryTerminated || !isSessionEnded(error)) throw error;
      // The session may have ended because its login was revoked: look before trying again.
      const next = (await this.#afterRefusal(generation, 'session-terminated')) ?? generation;
      this.#onRetry?.({ secretId: this.secretId, reason: 'session-terminated' });
      return this.#run<R>((await this.#checkoutFrom(next)).client, text, values);
    }
  }

  /** Close every connection, old logins' included. */
  async end(): Promise<void> {
    this.#ended = true;
    const pools = [...this.#draining, ...(this.#active ? [this.#active.pool] : [])];
    this.#active = undefined;
    await Promise.all(pools.map((pool) => pool.end().catch(() => undefined)));
  }

  /** The user new connections log in as (undefined before the first one). */
  get user(): string | undefined {
    return this.#active?.credential.user;
  }

  get totalCount(): number {
    return this.#pools().reduce((sum, pool) => sum + pool.totalCount, 0);
  }

  get idleCount(): number {
    return this.#pools().reduce((sum, pool) => sum + pool.idleCount, 0);
  }

  get waitingCount(): number {
    return this.#pools().reduce((sum, pool) => sum + pool.waitingCount, 0);
  }

  /** Connections still open under logins that are no longer current. */
  get drainingCount(): number {
    return [...this.#draining].reduce((sum, pool) => sum + pool.totalCount, 0);
  }

  async #run<R extends QueryResultRow>(
    client: PoolClient,
    text: string | QueryConfig,
    values: unknown[] | undefined,
  ): Promise<QueryResult<R>> {
    try {
      const result = await client.query<R>(text, values);
      client.release();
      return result;
    } catch (error) {
      // A broken connection goes back destroyed, not idle.
      client.release(isSessionEnded(error) ? (error as Error) : undefined);
      throw error;
    }
  }

  /** A connection under the current login; a refused login (28P01) is retried once. */
  async #checkout(): Promise<{ client: PoolClient; generation: Generation }> {
    const generation = await this.#current();
    try {
      return await this.#checkoutFrom(generation);
    } catch (error) {
      if (!isLoginRefused(error)) throw error;
      const next = await this.#afterRefusal(generation, 'invalid-password');
      if (!next) throw error;
      this.#onRetry?.({
        secretId: this.secretId,
        reason: next.via === 'pending' ? 'pending-credential' : 'invalid-password',
      });
      return this.#checkoutFrom(next);
    }
  }

  async #checkoutFrom(generation: Generation): Promise<{ client: PoolClient; generation: Generation }> {
    return { client: this.#guarded(await generation.pool.connect(), generation), generation };
  }

  /**
   * pg.Pool listens for errors on idle clients only: a checked-out client whose session the server
   * ends (an emergency revoke terminates them) would emit an unheard 'error' and crash the process.
   * This listener keeps it quiet (the next query on it fails, and says why) and takes the hint.
   */
  #guarded(client: PoolClient, generation: Generation): PoolClient {
    if (!guardedClients.has(client)) {
      guardedClients.add(client);
      client.on('error', (error: Error) => {
        if (generation === this.#active && isSessionEnded(error)) this.#credential.invalidate();
      });
    }
    return client;
  }

  /** The pool for the current login, switching first if AWSCURRENT changed. */
  async #current(): Promise<Generation> {
    if (this.#ended) throw new Error(`the pool for secret ${this.secretId} has been ended`);
    const credential = await this.#credential.current();
    const key = postgresIdentity(credential);
    const active = this.#active;
    if (active && (active.key === key || this.#fallbackFrom === key)) return active;
    return this.#switchTo(credential, active ? 'rotation' : 'first');
  }

  /**
   * After a refused login or an ended session on `refused`: the generation to try once more on
   * (a new AWSCURRENT, or AWSPENDING mid-rotation), or undefined when there is none. Concurrent
   * refusals share one look at Secrets Manager; one already superseded just moves to the active pool.
   */
  #afterRefusal(
    refused: Generation,
    why: 'invalid-password' | 'session-terminated',
  ): Promise<Generation | undefined> {
    if (this.#active && this.#active !== refused) return Promise.resolve(this.#active);
    this.#recovering ??= this.#recover(refused, why).finally(() => {
      this.#recovering = undefined;
    });
    return this.#recovering;
  }

  async #recover(
    refused: Generation,
    why: 'invalid-password' | 'session-terminated',
  ): Promise<Generation | undefined> {
    const fresh = await this.#credential.afterRejection(refused.credential);
    if (this.#active && this.#active !== refused) return this.#active;
    if (fresh) return this.#switchTo(fresh, 'refused');
    // An ended session under a login that is still current (a server restart): try it again as is.
    if (why === 'session-terminated') return refused;
    if (!this.#pendingFallback) return undefined;
    // A refused AWSPENDING read (IAM may allow AWSCURRENT only) just means no fallback.
    const pending = await this.#credential.pending().catch(() => undefined);
    if (!pending || this.#credential.same(pending, refused.credential)) return undefined;
    if (this.#active && this.#active !== refused) return this.#active;
    const generation = this.#switchTo(pending, 'pending');
    this.#fallbackFrom = refused.key;
    return generation;
  }

  #switchTo(credential: PostgresCredential, reason: PoolSwitch['reason']): Generation {
    const previous = this.#active;
    const pool = new pg.Pool({
      ...this.#poolOptions,
      host: credential.host,
      port: credential.port,
      user: credential.user,
      password: credential.password,
      database: this.#poolOptions.database ?? credential.database,
      // The caller's TLS settings (a CA bundle) win; else the secret's `ssl`: absent or true is
      // verified TLS, false plaintext, as the rotation function connects.
      ssl: this.#poolOptions.ssl ?? credential.ssl !== false,
    });
    pool.on('error', (error) => this.#idleClientError(error, pool));
    const generation = { pool, credential, key: postgresIdentity(credential), via: reason };
    this.#active = generation;
    this.#fallbackFrom = undefined;
    if (previous) this.#drain(previous.pool);
    this.#onSwitch?.({ secretId: this.secretId, user: credential.user, host: credential.host, reason });
    return generation;
  }

  /**
   * Close a pool once nothing waits on it. pg.Pool.end() closes idle connections and each busy one
   * when released, but never serves requests still queued for a connection: so it waits for them.
   */
  #drain(pool: pg.Pool): void {
    this.#draining.add(pool);
    const endIfNoWaiters = () => {
      if (pool.waitingCount > 0) return;
      pool.off('release', onRelease);
      pool
        .end()
        .catch(() => undefined)
        .finally(() => this.#draining.delete(pool));
    };
    const onRelease = () => setImmediate(endIfNoWaiters);
    pool.on('release', onRelease);
    endIfNoWaiters();
  }

  /**
   * An idle connection failed (pg.Pool has already dropped it). A session ended by the server may
   * mean its login was revoked: forget the cached secret so the next connection re-reads it.
   */
  #idleClientError(error: Error, pool: pg.Pool): void {
    if (pool === this.#active?.pool && isSessionEnded(error)) this.#credential.invalidate();
    // pg.Pool would crash the process on an unheard 'error'; pass it on only to listeners.
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  #pools(): pg.Pool[] {
    return [...this.#draining, ...(this.#active ? [this.#active.pool] : [])];
  }
}
