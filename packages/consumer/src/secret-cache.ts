import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';

/** The strategy's default: consumers re-read a secret at most every five minutes. */
export const DEFAULT_SECRET_TTL_MS = 5 * 60 * 1000;

export interface SecretAccess {
  secretId: string;
  /** The stage read; for a labels snapshot, `*`; for a version read, the labels it carried. */
  stage: string;
  /** Served from memory (true) or fetched from Secrets Manager (false). */
  cached: boolean;
  /** The API call made (or avoided): GetSecretValue unless said otherwise. */
  call?: 'GetSecretValue' | 'DescribeSecret';
  /** For reads by version id (labelled versions). */
  versionId?: string;
}

/** One version of a secret carrying at least one of the asked-for labels, with its value. */
export interface LabelledVersion {
  versionId: string;
  stages: readonly string[];
  /** undefined while the version has no value yet (AWSPENDING before createSecret stores one). */
  value: string | undefined;
}

export interface VersionsOptions {
  /** Re-read the labels now, whatever their age (a concurrent re-read is shared, not repeated). */
  refresh?: boolean;
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

/** A fetch in flight, and the secret's generation when it started. */
interface Loading<T> {
  promise: Promise<T>;
  generation: number;
}

interface LabelsEntry {
  /** VersionId -> staging labels, as one DescribeSecret saw them. */
  labels: Record<string, string[]>;
  fetchedAt: number;
}

/** Values of versions no longer labelled are dropped; this bounds the rest across many secrets. */
const MAX_VERSION_VALUES = 256;

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
  readonly #inFlight = new Map<string, Loading<Entry>>();
  readonly #labels = new Map<string, LabelsEntry>();
  readonly #labelsInFlight = new Map<string, Loading<LabelsEntry>>();
  /**
   * Bumped by invalidate(secretId) (and clear()): a fetch started under an older generation may
   * still answer the callers that joined it, but it is never stored and never joined again.
   */
  readonly #generations = new Map<string, number>();
  #clearedAt = 0;
  #counter = 0;
  readonly #valuesInFlight = new Map<string, Promise<string | undefined>>();
  /** `${secretId}\n${versionId}` -> value. A version's value never changes once written. */
  readonly #versionValues = new Map<string, string>();

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
    const fresh = await this.#shared(
      this.#inFlight,
      key,
      secretId,
      () => this.#fetch(secretId, stage),
      (e) => this.#entries.set(key, e),
    );
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

  /**
   * The versions carrying any of `stages`, with their values, from one consistent view of the labels.
   *
   * Reading AWSCURRENT, AWSPREVIOUS and AWSPENDING one by one can straddle a label move (read
   * AWSCURRENT just before finishSecret, AWSPENDING just after the service removed it) and miss the
   * new token; one DescribeSecret sees all labels at once. Values are then read by VersionId, and only
   * for versions not seen before: a version's value never changes, so a refresh usually costs one
   * DescribeSecret and no GetSecretValue. Needs secretsmanager:DescribeSecret besides GetSecretValue.
   */
  async versions(
    secretId: string,
    stages: readonly string[],
    options: VersionsOptions = {},
  ): Promise<LabelledVersion[]> {
    const entry = await this.#labelsOf(secretId, options.refresh === true);
    const wanted = Object.entries(entry.labels).filter(([, labels]) =>
      labels.some((label) => stages.includes(label)),
    );
    return Promise.all(
      wanted.map(async ([versionId, labels]) => ({
        versionId,
        stages: labels,
        value: await this.#versionValue(secretId, versionId, labels),
      })),
    );
  }

  /**
   * Forget every stage of one secret: call it when told a rotation finished, or when the service
   * refused the credential (401, WRONGPASS, 28P01). A fetch already in flight is dropped too: the
   * next read starts a new one, and the old one, when it answers, is not stored (it may hold the
   * value from before the rotation).
   */
  invalidate(secretId: string): void {
    this.#generations.set(secretId, ++this.#counter);
    for (const key of [...this.#entries.keys()]) {
      if (key.startsWith(`${secretId}\n`)) this.#entries.delete(key);
    }
    for (const key of [...this.#inFlight.keys()]) {
      if (key.startsWith(`${secretId}\n`)) this.#inFlight.delete(key);
    }
    this.#labels.delete(secretId);
    this.#labelsInFlight.delete(secretId);
  }

  /** Forget everything, fetches in flight included (see invalidate). */
  clear(): void {
    this.#clearedAt = ++this.#counter;
    this.#entries.clear();
    this.#inFlight.clear();
    this.#labels.clear();
    this.#labelsInFlight.clear();
    this.#versionValues.clear();
  }

  /** Changes whenever invalidate(secretId) or clear() is called. */
  #generation(secretId: string): number {
    return Math.max(this.#generations.get(secretId) ?? 0, this.#clearedAt);
  }

  /**
   * One fetch per key shared by concurrent callers. Its result is stored only if no invalidate()
   * or clear() happened since it started; later callers never join a fetch from before one.
   */
  #shared<T>(
    inFlight: Map<string, Loading<T>>,
    key: string,
    secretId: string,
    fetch: () => Promise<T>,
    store: (value: T) => void,
  ): Promise<T> {
    const generation = this.#generation(secretId);
    const joined = inFlight.get(key);
    if (joined && joined.generation === generation) return joined.promise;
    const loading: Loading<T> = {
      generation,
      promise: fetch().then((value) => {
        if (this.#generation(secretId) === generation) store(value);
        return value;
      }),
    };
    const forget = () => {
      if (inFlight.get(key) === loading) inFlight.delete(key);
    };
    loading.promise.then(forget, forget);
    inFlight.set(key, loading);
    return loading.promise;
  }

  async #labelsOf(secretId: string, refresh: boolean): Promise<LabelsEntry> {
    const entry = this.#labels.get(secretId);
    if (!refresh && entry && this.#now() - entry.fetchedAt < this.#ttlMs) {
      this.#onAccess?.({ secretId, stage: '*', cached: true, call: 'DescribeSecret' });
      return entry;
    }
    const generation = this.#generation(secretId);
    const fresh = await this.#shared(
      this.#labelsInFlight,
      secretId,
      secretId,
      () => this.#describe(secretId),
      (e) => this.#labels.set(secretId, e),
    );
    if (this.#generation(secretId) === generation) this.#forgetUnlabelledValues(secretId, fresh.labels);
    return fresh;
  }

  async #describe(secretId: string): Promise<LabelsEntry> {
    this.#onAccess?.({ secretId, stage: '*', cached: false, call: 'DescribeSecret' });
    const out = await this.#client.send(new DescribeSecretCommand({ SecretId: secretId }));
    const labels: Record<string, string[]> = {};
    for (const [versionId, stages] of Object.entries(out.VersionIdsToStages ?? {})) {
      if (stages.length > 0) labels[versionId] = stages;
    }
    return { labels, fetchedAt: this.#now() };
  }

  async #versionValue(
    secretId: string,
    versionId: string,
    labels: readonly string[],
  ): Promise<string | undefined> {
    const key = `${secretId}\n${versionId}`;
    const access = { secretId, stage: labels.join(','), versionId, call: 'GetSecretValue' as const };
    const known = this.#versionValues.get(key);
    if (known !== undefined) {
      this.#onAccess?.({ ...access, cached: true });
      return known;
    }
    let loading = this.#valuesInFlight.get(key);
    if (!loading) {
      this.#onAccess?.({ ...access, cached: false });
      loading = this.#client
        .send(new GetSecretValueCommand({ SecretId: secretId, VersionId: versionId }))
        .then(
          (out) => out.SecretString,
          (error: unknown) => {
            // A staged version without a value yet: AWSPENDING between RotateSecret and createSecret.
            if (error instanceof ResourceNotFoundException) return undefined;
            throw error;
          },
        )
        .finally(() => this.#valuesInFlight.delete(key));
      this.#valuesInFlight.set(key, loading);
    }
    const value = await loading;
    // Not-yet-written values are not remembered: the next refresh asks again.
    if (value !== undefined) this.#rememberVersionValue(key, value);
    return value;
  }

  #rememberVersionValue(key: string, value: string): void {
    this.#versionValues.delete(key);
    this.#versionValues.set(key, value);
    while (this.#versionValues.size > MAX_VERSION_VALUES) {
      const oldest = this.#versionValues.keys().next().value;
      if (oldest === undefined) break;
      this.#versionValues.delete(oldest);
    }
  }

  /** Secrets should not outlive their labels in memory: a retired token is dropped at the next refresh. */
  #forgetUnlabelledValues(secretId: string, labels: Record<string, string[]>): void {
    const prefix = `${secretId}\n`;
    for (const key of [...this.#versionValues.keys()]) {
      if (key.startsWith(prefix) && !(key.slice(prefix.length) in labels)) this.#versionValues.delete(key);
    }
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
