import { expectedIntervalMs, type ScheduleFacts } from './interval';

/**
 * The last failed step of a secret's rotation, from its audit line. The monitor has none (it reads
 * only Secrets Manager); `npm run status` reads them from the functions' logs.
 */
export interface FailureFacts {
  /** The audited step: createSecret, setSecret, testSecret, finishSecret, revokePrevious... */
  step: string;
  errorClass: string;
  /** Whether Secrets Manager's own retries can fix it. */
  retryable: boolean;
  /** What a person should do, as the function said it. */
  action?: string;
  /** The error's message (scrubbed by the function before it was logged). */
  message?: string;
  /** The version (rotation token) the step worked on. */
  version?: string;
  at: Date;
}

/** What the inventory knows about one secret. */
export interface SecretFacts extends ScheduleFacts {
  name: string;
  arn: string;
  rotationEnabled: boolean;
  createdDate?: Date;
  lastRotatedDate?: Date;
  /** Creation dates of versions labelled AWSPENDING but not AWSCURRENT. */
  pendingSince: Date[];
  /** Ids of those versions, when known: a failure on one of them belongs to the open rotation. */
  pendingVersionIds?: string[];
  lastFailure?: FailureFacts;
}

export interface MonitorThresholds {
  /** Slack after the interval before a rotation counts as overdue; capped at half the interval. */
  overdueGraceMs: number;
  /** An AWSPENDING version older than this means a rotation is stuck. */
  stuckAfterMs: number;
}

/**
 * One word for a secret, worst first: `stuck` (a rotation cannot finish without a person), `overdue`
 * (it has not rotated when it should have), `disabled` (it will not rotate), `rotating` (a rotation
 * is under way, or being retried), `ok`.
 */
export type RotationState = 'stuck' | 'overdue' | 'disabled' | 'rotating' | 'ok';

export interface Assessment {
  name: string;
  arn: string;
  state: RotationState;
  disabled: boolean;
  overdue: boolean;
  stuck: boolean;
  /** An AWSPENDING version exists and the rotation is not (yet) stuck. */
  rotating: boolean;
  /** The step the open rotation failed at, when the audit says. */
  stuckAt?: string;
  /** No interval could be determined: the secret cannot be judged overdue. */
  unscheduled: boolean;
  hoursSinceRotation: number;
  expectedIntervalHours: number | undefined;
  problems: string[];
}

const HOUR_MS = 3_600_000;

export function assess(secret: SecretFacts, now: Date, thresholds: MonitorThresholds): Assessment {
  const problems: string[] = [];
  const interval = expectedIntervalMs(secret);
  const lastRotation = secret.lastRotatedDate ?? secret.createdDate;
  const ageMs = lastRotation ? now.getTime() - lastRotation.getTime() : Number.POSITIVE_INFINITY;

  const disabled = !secret.rotationEnabled;
  if (disabled) problems.push('rotation is disabled');

  let overdue = false;
  if (interval !== undefined) {
    const grace = Math.min(thresholds.overdueGraceMs, interval / 2);
    overdue = ageMs > interval + grace;
    if (overdue) {
      problems.push(
        `last rotated ${formatHours(ageMs)} ago, expected every ${formatHours(interval)}` +
          (secret.lastRotatedDate ? '' : ' (never rotated)'),
      );
    }
  }

  const oldestPending = secret.pendingSince.reduce<Date | undefined>(
    (oldest, date) => (!oldest || date < oldest ? date : oldest),
    undefined,
  );
  const pendingForLong =
    oldestPending !== undefined && now.getTime() - oldestPending.getTime() > thresholds.stuckAfterMs;
  if (pendingForLong) {
    problems.push(
      `a rotation has been AWSPENDING for ${formatHours(now.getTime() - oldestPending.getTime())}`,
    );
  }
  // A failure of the open rotation that retries cannot fix (a wrong master password, a revoked
  // grant) leaves it stuck now: waiting for the age threshold would only delay the page.
  const failure = secret.lastFailure;
  const failedOpenRotation =
    failure?.version !== undefined && (secret.pendingVersionIds ?? []).includes(failure.version);
  const unfixable = failedOpenRotation && failure?.retryable === false;
  if (unfixable) {
    problems.push(`${failure.step} failed with ${failure.errorClass}, which retries cannot fix`);
  }
  const stuck = pendingForLong || unfixable;
  const rotating = !stuck && secret.pendingSince.length > 0;

  return {
    name: secret.name,
    arn: secret.arn,
    state: stateOf({ stuck, overdue, disabled, rotating }),
    disabled,
    overdue,
    stuck,
    rotating,
    ...(stuck && failedOpenRotation ? { stuckAt: failure?.step } : {}),
    unscheduled: interval === undefined,
    hoursSinceRotation: Number.isFinite(ageMs) ? round(ageMs / HOUR_MS) : -1,
    expectedIntervalHours: interval === undefined ? undefined : round(interval / HOUR_MS),
    problems,
  };
}

function stateOf(flags: { stuck: boolean; overdue: boolean; disabled: boolean; rotating: boolean }) {
  if (flags.stuck) return 'stuck';
  if (flags.overdue) return 'overdue';
  if (flags.disabled) return 'disabled';
  return flags.rotating ? 'rotating' : 'ok';
}

/** Whether a state should stop a pipeline (npm run status exits non-zero) or page someone. */
export function needsAction(state: RotationState): boolean {
  return state === 'stuck' || state === 'overdue';
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function formatHours(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < HOUR_MS) return `${Math.round(ms / 60_000)} min`;
  if (ms < 48 * HOUR_MS) return `${round(ms / HOUR_MS)} h`;
  return `${round(ms / (24 * HOUR_MS))} days`;
}
