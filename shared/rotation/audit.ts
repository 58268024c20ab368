import { type FailureAlert, publishFailure } from '../observability/alerts';
import { logger } from '../observability/logger';
import { recordStep } from '../observability/metrics';
import { FRAGMENT_LENGTH, weakSecretsInPlay } from '../observability/redaction';
import { type Deadline, noDeadline } from '../net/deadline';
import type { VersionRead } from '../secrets/versions';
import { secretIdOf } from './event';
import { loggableError, sanitizeForRuntime, summarizeFailure } from './failure';

export type StepOutcome = 'succeeded' | 'skipped' | 'failed';

export interface StepReport {
  secretArn: string;
  secretName: string;
  kind: string;
  step: string;
  version: string;
  outcome: StepOutcome;
  detail: string;
  durationMs: number;
}

/** A non-secret fact for the audit line: a strategy, a user name, a count, the versions cleared. */
export type AuditFact = string | number | boolean | readonly string[];

/** What a failure's alert may say besides the error (a timeout's last wait and deadline). */
export interface FailureFacts {
  alert?: Pick<FailureAlert, 'waitingFor' | 'deadline'>;
  /** Bounds the SNS publish to what is left of the invocation. */
  signal?: AbortSignal;
}

/**
 * One audited operation (a rotation step, a revoke, an emergency rotation, a monitor run): the facts
 * its audit line will carry, filled in as they are learnt, never a secret value. Opened before the
 * work starts and closed exactly once, by `succeeded` or `failed`, which write the one audit line,
 * record the metrics and, on failure, alert.
 */
export class AuditScope {
  secretArn: string | undefined;
  secretName: string | undefined;
  /** The version the operation works on (the rotation token, the version revoked). */
  version: string | undefined;
  /** Why a person started the operation (emergency rotation, revoke). */
  reason: string | undefined;
  readonly #started = performance.now();
  readonly #notes: Record<string, AuditFact> = {};
  /** The versions read, once the operation reads secret versions at all (else no `reads` key). */
  #reads: VersionRead[] | undefined;

  constructor(
    readonly kind: string,
    /** What is audited; a rotation step's name once the event says which step it is. */
    public step: string,
    secretArn?: string,
  ) {
    this.secretArn = secretArn;
  }

  /** The secret, as DescribeSecret names it. */
  identify(secret: { arn: string; name: string }): void {
    this.secretArn = secret.arn;
    this.secretName = secret.name;
  }

  /** Add facts to the audit line (later ones win). */
  note(facts: Record<string, AuditFact>): void {
    Object.assign(this.#notes, facts);
  }

  /** From now on the audit line lists the versions read, cached ones marked. */
  listReads(): (read: VersionRead) => void {
    const reads = (this.#reads ??= []);
    return (read) => reads.push(read);
  }

  /** Close the scope after the work succeeded (or had nothing to do): one info line, metrics. */
  succeeded(result: { outcome: StepOutcome; detail: string }): StepReport {
    const { outcome, detail } = result;
    const durationMs = this.#elapsed();
    logger.info(`${this.step} ${outcome}`, {
      audit: { ...this.#fields(), outcome, detail, durationMs },
    });
    recordStep(this.kind, this.step, true, durationMs);
    return {
      secretArn: this.secretArn ?? '',
      secretName: this.secretName ?? '',
      kind: this.kind,
      step: this.step,
      version: this.version ?? '',
      outcome,
      detail,
      durationMs,
    };
  }

  /**
   * Close the scope after the work failed: one error line, metrics, an alert. Returns the error to
   * throw on, scrubbed, so the caller (Secrets Manager, an operator) still sees the failure.
   */
  async failed(error: unknown, facts: FailureFacts = {}): Promise<Error> {
    const failure = summarizeFailure(error);
    const durationMs = this.#elapsed();
    logger.error(`${this.step} failed: ${failure.message}`, {
      audit: { ...this.#fields(), outcome: 'failed', durationMs, ...failure },
      error: loggableError(error),
    });
    recordStep(this.kind, this.step, false, durationMs);
    await publishFailure(
      {
        secretArn: this.secretArn ?? 'unknown',
        kind: this.kind,
        step: this.step,
        ...failure,
        ...(this.reason ? { reason: this.reason } : {}),
        ...facts.alert,
      },
      facts.signal,
    );
    return sanitizeForRuntime(error);
  }

  #fields(): Record<string, unknown> {
    const known = {
      kind: this.kind,
      step: this.step,
      secretArn: this.secretArn,
      secretName: this.secretName,
      version: this.version,
      reason: this.reason,
    };
    const fields: Record<string, unknown> = Object.fromEntries(
      Object.entries(known).filter(([, value]) => value !== undefined),
    );
    if (this.#reads) {
      fields.reads = this.#reads.map((read) => `${read.stage}${read.cached ? ' (cached)' : ''}`);
    }
    return { ...fields, ...this.#notes, ...weakCredentialWarning() };
  }

  #elapsed(): number {
    return Math.round(performance.now() - this.#started);
  }
}

/** What an audited body returns: the outcome for the audit line, and what it learnt for its caller. */
export interface AuditedResult {
  outcome: StepOutcome;
  detail: string;
}

/**
 * Run a body inside an audit scope opened for `step`, in process (tests, scripts): exactly one audit
 * line, metrics and, on failure, an alert; errors are rethrown (scrubbed). A Lambda handler gets the
 * same from the `auditing` middleware (auditing.ts), which also reports timeouts.
 */
export async function audited<R extends AuditedResult>(
  kind: string,
  rawEvent: unknown,
  step: string,
  body: (audit: AuditScope, deadline: Deadline) => Promise<R>,
  deadline: Deadline = noDeadline(),
): Promise<R & StepReport> {
  const audit = new AuditScope(kind, step, secretIdOf(rawEvent));
  let result: R;
  try {
    result = await body(audit, deadline);
  } catch (error) {
    throw await audit.failed(error);
  }
  return { ...result, ...audit.succeeded(result) };
}

/**
 * The audit line's warning while a credential too short to redact is in play (a hand-set token or
 * password): it is not scrubbed, so no target response text is quoted, and the rotation that
 * replaces it with a generated value goes ahead.
 */
function weakCredentialWarning(): Record<string, string> {
  const weak = weakSecretsInPlay();
  if (weak === 0) return {};
  return {
    credentialWarning:
      `${weak} credential value(s) read by this step are shorter than ${FRAGMENT_LENGTH} characters: ` +
      'too weak to redact reliably, so target response text is withheld; rotate to replace them with generated values',
  };
}
