import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';

/** The strategy's default: consumers re-read a secret at most every five minutes. */
export const DEFAULT_SECRET_TTL_MS = 5 * 60 * 1000;

export interface SecretAccess {
  secretId: string;
  stage: string;
  /** Served from memory (true) or fetched from Secrets Manager (false). */
  cached: boolean;
}

export interface SecretCacheOptions {
  ttlMs?: number;
  client?: SecretsManagerClient;
  /** Called on every read, for the service's audit log. Receives no value. */
  onAccess?: (access: SecretAccess) => void;
  /** Injectable clock, for tests. */
  now?: () => number;
}

interface Entry {
  /** undefined: the stage exists on no version (AWSPREVIOUS before the first rotation). */
  value: string | undefined;
  fetchedAt: number;
}

/**
 * What services that use the rotated secrets import: cached reads by stage with a TTL, explicit
 * invalidation after a rotation, and one shared fetch for concurrent callers (a cold service
 * handling a burst makes one GetSecretValue, not a hundred).
 */
export class SecretCache {
  readonly #ttlMs: number;
  readonly #client: SecretsManagerClient;
  readonly #onAccess: ((access: SecretAccess) => void) | undefined;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  readonly #inFlight = new Map<string, Promise<Entry>>();

  constructor(options: SecretCacheOptions = {}) {
    this.#ttlMs = options.ttlMs ?? DEFAULT_SECRET_TTL_MS;
    this.#client = options.client ?? new SecretsManagerClient({});
    this.#onAccess = options.onAccess;
    this.#now = options.now ?? Date.now;
  }

  /** The SecretString at a stage (AWSCURRENT by default); throws when the stage has no value. */
  async get(secretId: string, stage = 'AWSCURRENT'): Promise<string> {
    const value = await this.getIfExists(secretId, stage);
    if (value === undefined) throw new Error(`secret ${secretId} has no ${stage} value`);
    return value;
  }

  /** The SecretString at a stage, or undefined when no version carries it. */
  async getIfExists(secretId: string, stage = 'AWSCURRENT'): Promise<string | undefined> {
    const key = `${secretId}\n${stage}`;
    const entry = this.#entries.get(key);
    if (entry && this.#now() - entry.fetchedAt < this.#ttlMs) {
      this.#onAccess?.({ secretId, stage, cached: true });
      return entry.value;
    }
    let loading = this.#inFlight.get(key);
    if (!loading) {
      loading = this.#fetch(secretId, stage).finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, loading);
    }
    const fresh = await loading;
    this.#entries.set(key, fresh);
    return fresh.value;
  }

  /** The value at a stage parsed as JSON, optionally validated by `parse`. */
  async getJSON<T = unknown>(
    secretId: string,
    stage = 'AWSCURRENT',
    parse?: (value: unknown) => T,
  ): Promise<T> {
    const raw = await this.get(secretId, stage);
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      // Never quote the parser's message: it holds a slice of the secret.
      throw new Error(`secret ${secretId} ${stage} is not valid JSON`);
    }
    return parse ? parse(json) : (json as T);
  }

  /** Forget every stage of one secret: call it when told a rotation finished. */
  invalidate(secretId: string): void {
    for (const key of [...this.#entries.keys()]) {
      if (key.startsWith(`${secretId}\n`)) this.#entries.delete(key);
    }
  }

  clear(): void {
    this.#entries.clear();
  }

  async #fetch(secretId: string, stage: string): Promise<Entry> {
    this.#onAccess?.({ secretId, stage, cached: false });
    try {
      const out = await this.#client.send(
        new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }),
      );
      return { value: out.SecretString, fetchedAt: this.#now() };
    } catch (error) {
      if (error instanceof ResourceNotFoundException && stage !== 'AWSCURRENT') {
        return { value: undefined, fetchedAt: this.#now() };
      }
      throw error;
    }
  }
}
