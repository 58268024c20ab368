import type { SecretCache } from './secret-cache.js';
import { Stage } from './stages.js';

/**
 * A secret value that lacks what a helper needs. The message names the secret, the stage and the
 * key, never a value: it is safe to log.
 */
export class SecretFormatError extends Error {
  override name = 'SecretFormatError';
}

/** A secret's JSON object, with the field readers the helpers share. */
export class SecretFields {
  constructor(
    readonly where: string,
    readonly json: Readonly<Record<string, unknown>>,
  ) {}

  /** Parse a SecretString; `where` ("secret X AWSCURRENT") goes into error messages. */
  static parse(raw: string, where: string): SecretFields {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      // Never quote the parser's message: it holds a slice of the secret.
      throw new SecretFormatError(`${where} is not valid JSON`);
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      throw new SecretFormatError(`${where} is not a JSON object`);
    }
    return new SecretFields(where, json as Record<string, unknown>);
  }

  string(key: string): string {
    const value = this.optionalString(key);
    if (value === undefined || value === '') {
      throw new SecretFormatError(`${this.where} has no \`${key}\` string`);
    }
    return value;
  }

  optionalString(key: string): string | undefined {
    const value = this.json[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw new SecretFormatError(`${this.where}: \`${key}\` is not a string`);
    return value;
  }

  /** A port, as a number or a string of digits (AWS's formats use both). */
  optionalPort(key: string): number | undefined {
    const value = this.json[key];
    if (value === undefined || value === null) return undefined;
    const port = typeof value === 'string' && /^\d{1,5}$/.test(value) ? Number(value) : value;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new SecretFormatError(`${this.where}: \`${key}\` is not a port number`);
    }
    return port;
  }

  /** A flag, as a boolean or "true"/"false" (AWS's functions accept both). */
  optionalFlag(key: string): boolean | undefined {
    const value = this.json[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'boolean') return value;
    if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
    throw new SecretFormatError(`${this.where}: \`${key}\` is not true or false`);
  }
}

/** A refused credential is re-checked against Secrets Manager at most this often. */
export const MIN_RECHECK_INTERVAL_MS = 1_000;

/**
 * The credential a helper uses, read from a secret's AWSCURRENT through the shared cache and parsed
 * once per value. `afterRejection` is the "invalidate and retry once" step every helper shares:
 * forget the cached value, re-read it, and hand back the new credential only if it differs from
 * the one the service refused (retrying with the same one would only fail again).
 */
export class RotatingCredential<T> {
  #lastRaw: string | undefined;
  #lastParsed: T | undefined;
  /** Re-reads after a refusal, by the refused credential's identity: a burst of refusals shares one. */
  readonly #recovering = new Map<string, Promise<T | undefined>>();
  /** When a refused credential was last found still current, by identity. */
  readonly #stillCurrentAt = new Map<string, number>();

  constructor(
    readonly cache: SecretCache,
    readonly secretId: string,
    readonly parse: (fields: SecretFields) => T,
    /** What makes two credentials the same for the service (user and password, a token...). */
    readonly identity: (credential: T) => string,
    readonly now: () => number = Date.now,
  ) {}

  async current(): Promise<T> {
    const raw = await this.cache.get(this.secretId, Stage.Current);
    if (raw === this.#lastRaw && this.#lastParsed !== undefined) return this.#lastParsed;
    const parsed = this.parse(SecretFields.parse(raw, `secret ${this.secretId} ${Stage.Current}`));
    this.#lastRaw = raw;
    this.#lastParsed = parsed;
    return parsed;
  }

  /** The credential AWSPENDING holds, or undefined when no version carries it (or has a value yet). */
  async pending(): Promise<T | undefined> {
    const raw = await this.cache.getIfExists(this.secretId, Stage.Pending);
    return raw === undefined
      ? undefined
      : this.parse(SecretFields.parse(raw, `secret ${this.secretId} ${Stage.Pending}`));
  }

  /** Drop the cached value (a rotation finished, or the service refused the credential). */
  invalidate(): void {
    this.cache.invalidate(this.secretId);
  }

  /**
   * After the service refused `rejected`: the AWSCURRENT credential if it is another one, else
   * undefined. Concurrent refusals of the same credential share one re-read; a credential found
   * still current is not re-checked for MIN_RECHECK_INTERVAL_MS, so a receiver refusing it for
   * some other reason does not turn every request into a Secrets Manager call.
   */
  async afterRejection(rejected: T): Promise<T | undefined> {
    const cached = await this.current();
    if (!this.same(cached, rejected)) return cached;
    const key = this.identity(rejected);
    const checkedAt = this.#stillCurrentAt.get(key);
    if (checkedAt !== undefined && this.now() - checkedAt < MIN_RECHECK_INTERVAL_MS) return undefined;
    let recovering = this.#recovering.get(key);
    if (!recovering) {
      this.invalidate();
      recovering = this.current().then((fresh) => {
        if (!this.same(fresh, rejected)) return fresh;
        this.#stillCurrentAt.clear();
        this.#stillCurrentAt.set(key, this.now());
        return undefined;
      });
      const done = () => this.#recovering.delete(key);
      recovering.then(done, done);
      this.#recovering.set(key, recovering);
    }
    return recovering;
  }

  same(a: T, b: T): boolean {
    return this.identity(a) === this.identity(b);
  }
}
