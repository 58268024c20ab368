import { expectedIntervalMs, type ScheduleFacts } from './interval';

/** What the inventory knows about one secret. */
export interface SecretFacts extends ScheduleFacts {
  name: string;
  arn: string;
  rotationEnabled: boolean;
  createdDate?: Date;
  lastRotatedDate?: Date;
  /** Creation dates of versions labelled AWSPENDING but not AWSCURRENT. */
  pendingSince: Date[];
}

export interface MonitorThresholds {
  /** Slack after the interval before a rotation counts as overdue; capped at half the interval. */
  overdueGraceMs: number;
  /** An AWSPENDING version older than this means a rotation is stuck. */
  stuckAfterMs: number;
}

export interface Assessment {
  name: string;
  arn: string;
  disabled: boolean;
  overdue: boolean;
  stuck: boolean;
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
  const stuck =
    oldestPending !== undefined && now.getTime() - oldestPending.getTime() > thresholds.stuckAfterMs;
  if (stuck) {
    problems.push(
      `a rotation has been AWSPENDING for ${formatHours(now.getTime() - oldestPending.getTime())}`,
    );
  }

  return {
    name: secret.name,
    arn: secret.arn,
    disabled,
    overdue,
    stuck,
    unscheduled: interval === undefined,
    hoursSinceRotation: Number.isFinite(ageMs) ? round(ageMs / HOUR_MS) : -1,
    expectedIntervalHours: interval === undefined ? undefined : round(interval / HOUR_MS),
    problems,
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function formatHours(ms: number): string {
  if (ms < HOUR_MS) return `${Math.round(ms / 60_000)} min`;
  if (ms < 48 * HOUR_MS) return `${round(ms / HOUR_MS)} h`;
  return `${round(ms / (24 * HOUR_MS))} days`;
}
