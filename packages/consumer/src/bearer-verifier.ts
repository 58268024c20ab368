import { constantTimeEqual } from './constant-time.js';
import { Stage } from './stages.js';
import { SecretCache } from './secret-cache.js';

/** The JSON key holding the bearer token in webhook-bearer and mcp-token secrets. */
export const TOKEN_FIELD = 'token';
/** The optional JSON key holding the token's expiry (ISO 8601, e.g. `2026-07-01T00:00:00Z`). */
export const EXPIRES_AT_FIELD = 'expires_at';
/**
 * The labels whose token is accepted: AWSCURRENT, AWSPREVIOUS (clients that have not re-read the
 * secret yet) and AWSPENDING (so testSecret can prove the new token before it is promoted).
 */
export const ACCEPTED_STAGES: readonly string[] = [Stage.Current, Stage.Pending, Stage.Previous];
/** The default floor between refreshes caused by unknown tokens. */
export const DEFAULT_MIN_REFRESH_INTERVAL_MS = 5_000;

export type RejectReason = 'missing' | 'unknown' | 'expired';

export type VerifyResult =
  | {
      ok: true;
      /** The accepted label the token was found under (AWSCURRENT first when it carries several). */
      stage: string;
      versionId: string;
      expiresAt: Date | undefined;
      /** The secret's other keys (scopes, issuer...): everything except the token. */
      claims: Readonly<Record<string, unknown>>;
    }
  | {
      ok: false;
      reason: RejectReason;
      /** Safe to send back in `error_description`: says nothing about which tokens exist. */
      description: string;
    };

export interface BearerVerifierOptions {
  /** Name or ARN of the secret holding the token. */
  secretId: string;
  /** Share one cache across a service's verifiers and readers; its TTL bounds how stale labels get. */
  cache?: SecretCache;
  tokenField?: string;
  expiresAtField?: string;
  stages?: readonly string[];
  /**
   * An unknown token re-reads the labels at most once per this interval, so a stream of garbage
   * tokens costs one DescribeSecret per interval, not one per request.
   */
  minRefreshIntervalMs?: number;
  /** Told about a labelled version it cannot use (not JSON, no token, bad expiry). Never gets a value. */
  onProblem?: (problem: string) => void;
  now?: () => number;
}

interface Candidate {
  token: string;
  stage: string;
  versionId: string;
  expiresAt: Date | undefined;
  claims: Record<string, unknown>;
}

const DESCRIPTIONS: Record<RejectReason, string> = {
  missing: 'no bearer token in the Authorization header',
  unknown: 'the bearer token is not valid',
  expired: 'the bearer token has expired',
};

/**
 * The receiving side of a bearer secret: accepts the token of any accepted label, so a rotation
 * never leaves a sender holding a token the receiver refuses.
 *
 * Tokens come from the shared SecretCache (labels re-read after its TTL). A token that matches none
 * triggers one immediate re-read, because it may be brand new (testSecret's pending token, a sender
 * that already switched); these re-reads are rate-limited by `minRefreshIntervalMs`.
 */
export class BearerVerifier {
  readonly secretId: string;
  readonly #cache: SecretCache;
  readonly #tokenField: string;
  readonly #expiresAtField: string;
  readonly #stages: readonly string[];
  readonly #minRefreshIntervalMs: number;
  readonly #onProblem: ((problem: string) => void) | undefined;
  readonly #now: () => number;
  /** Parsed candidates by version and label: a version's value never changes, parse it once. */
  #parsed = new Map<string, Candidate | undefined>();
  #lastForcedRefresh = Number.NEGATIVE_INFINITY;
  #forcedRefresh: Promise<Candidate[]> | undefined;

  constructor(options: BearerVerifierOptions) {
    this.secretId = options.secretId;
    this.#cache = options.cache ?? new SecretCache();
    this.#tokenField = options.tokenField ?? TOKEN_FIELD;
    this.#expiresAtField = options.expiresAtField ?? EXPIRES_AT_FIELD;
    this.#stages = options.stages ?? ACCEPTED_STAGES;
    this.#minRefreshIntervalMs = options.minRefreshIntervalMs ?? DEFAULT_MIN_REFRESH_INTERVAL_MS;
    this.#onProblem = options.onProblem;
    this.#now = options.now ?? Date.now;
  }

  /** Verify the token from an `Authorization: Bearer <token>` header. */
  verifyAuthorization(header: string | readonly string[] | undefined): Promise<VerifyResult> {
    return this.verify(bearerTokenFrom(header));
  }

  async verify(token: string | undefined): Promise<VerifyResult> {
    if (token === undefined || token === '') return reject('missing');
    const first = this.#match(token, await this.#candidates(false));
    if (first.ok) return first;
    const refreshed = await this.#refreshIfAllowed();
    return refreshed ? this.#match(token, refreshed) : first;
  }

  /**
   * Forget the cached labels of this secret: the next request re-reads them. Call it when told a
   * rotation or a revoke finished (an EventBridge rule on the secret's events, an SNS message).
   */
  invalidate(): void {
    this.#cache.invalidate(this.secretId);
  }

  async #refreshIfAllowed(): Promise<Candidate[] | undefined> {
    if (this.#forcedRefresh) return this.#forcedRefresh;
    if (this.#now() - this.#lastForcedRefresh < this.#minRefreshIntervalMs) return undefined;
    this.#lastForcedRefresh = this.#now();
    this.#forcedRefresh = this.#candidates(true).finally(() => {
      this.#forcedRefresh = undefined;
    });
    return this.#forcedRefresh;
  }

  async #candidates(refresh: boolean): Promise<Candidate[]> {
    const versions = await this.#cache.versions(this.secretId, this.#stages, { refresh });
    const parsed = new Map<string, Candidate | undefined>();
    for (const version of versions) {
      const stage = this.#stages.find((accepted) => version.stages.includes(accepted));
      if (version.value === undefined || stage === undefined) continue;
      const key = `${version.versionId}\n${stage}`;
      parsed.set(
        key,
        this.#parsed.has(key)
          ? this.#parsed.get(key)
          : this.#candidate(version.value, stage, version.versionId),
      );
    }
    // Only what is labelled now is kept: a retired token leaves memory with its label.
    this.#parsed = parsed;
    return [...parsed.values()].filter((candidate) => candidate !== undefined);
  }

  #candidate(raw: string, stage: string, versionId: string): Candidate | undefined {
    const where = `secret ${this.secretId} ${stage} (version ${versionId})`;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      this.#onProblem?.(`${where} is not valid JSON; its token is not accepted`);
      return undefined;
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      this.#onProblem?.(`${where} is not a JSON object; its token is not accepted`);
      return undefined;
    }
    const { [this.#tokenField]: token, ...claims } = json as Record<string, unknown>;
    if (typeof token !== 'string' || token === '') {
      this.#onProblem?.(`${where} has no \`${this.#tokenField}\` string; nothing to accept`);
      return undefined;
    }
    const expiry = claims[this.#expiresAtField];
    let expiresAt: Date | undefined;
    if (expiry !== undefined) {
      expiresAt = typeof expiry === 'string' ? new Date(expiry) : new Date(Number.NaN);
      if (Number.isNaN(expiresAt.getTime())) {
        // Fail closed: a token whose lifetime cannot be read is treated as expired.
        this.#onProblem?.(`${where} has an unreadable \`${this.#expiresAtField}\`; its token is refused`);
        expiresAt = new Date(0);
      }
    }
    return { token, stage, versionId, expiresAt, claims };
  }

  #match(token: string, candidates: readonly Candidate[]): VerifyResult {
    let accepted: Candidate | undefined;
    let expired = false;
    // Every candidate is compared, match or not, so timing says nothing about which label matched.
    for (const candidate of candidates) {
      if (!constantTimeEqual(token, candidate.token)) continue;
      const live = candidate.expiresAt === undefined || candidate.expiresAt.getTime() > this.#now();
      if (!live) expired = true;
      else if (!accepted || this.#rank(candidate.stage) < this.#rank(accepted.stage)) accepted = candidate;
    }
    if (accepted) {
      return {
        ok: true,
        stage: accepted.stage,
        versionId: accepted.versionId,
        expiresAt: accepted.expiresAt,
        claims: accepted.claims,
      };
    }
    return reject(expired ? 'expired' : 'unknown');
  }

  #rank(stage: string): number {
    return this.#stages.indexOf(stage);
  }
}

function reject(reason: RejectReason): VerifyResult {
  return { ok: false, reason, description: DESCRIPTIONS[reason] };
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), if there is one. */
export function bearerTokenFrom(header: string | readonly string[] | undefined): string | undefined {
  const value = typeof header === 'string' ? header : header?.[0];
  const match = value === undefined ? null : /^\s*Bearer\s+([^\s,]+)\s*$/i.exec(value);
  return match?.[1];
}
