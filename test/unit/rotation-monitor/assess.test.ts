import { describe, expect, it } from 'vitest';
import { assess, type SecretFacts } from '../../../functions/rotation-monitor/assess';
import {
  expectedIntervalMs,
  parseIntervalTag,
  parseRateExpression,
} from '../../../functions/rotation-monitor/interval';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const now = new Date('2026-11-23T12:00:00Z');
const thresholds = { overdueGraceMs: 24 * HOUR, stuckAfterMs: 3 * HOUR };
const ago = (ms: number) => new Date(now.getTime() - ms);
const secret = (facts: Partial<SecretFacts>): SecretFacts => ({
  name: 'sergas/postgres/prod/password',
  arn: 'arn:aws:secretsmanager:us-east-1:1:secret:sergas/postgres/prod/password-x',
  rotationEnabled: true,
  automaticallyAfterDays: 90,
  createdDate: ago(400 * DAY),
  lastRotatedDate: ago(10 * DAY),
  pendingSince: [],
  ...facts,
});

describe('expected interval', () => {
  it('reads the rotation-interval tag first, then the rotation rules', () => {
    expect(parseIntervalTag('45m')).toBe(45 * 60_000);
    expect(parseIntervalTag('90d')).toBe(90 * DAY);
    expect(parseIntervalTag('soon')).toBeUndefined();
    expect(parseRateExpression('rate(4 hours)')).toBe(4 * HOUR);
    expect(parseRateExpression('rate(30 days)')).toBe(30 * DAY);
    expect(parseRateExpression('cron(0 8 1 * ? *)')).toBeUndefined();
    expect(expectedIntervalMs({ intervalTag: '45m', automaticallyAfterDays: 1 })).toBe(45 * 60_000);
    expect(expectedIntervalMs({ scheduleExpression: 'rate(4 hours)' })).toBe(4 * HOUR);
    expect(expectedIntervalMs({})).toBeUndefined();
  });
});

describe('assess', () => {
  it('finds a recently rotated secret healthy', () => {
    expect(assess(secret({}), now, thresholds)).toMatchObject({
      overdue: false,
      stuck: false,
      disabled: false,
      problems: [],
      hoursSinceRotation: 240,
      expectedIntervalHours: 2160,
    });
  });

  it('flags a rotation overdue past the interval plus grace', () => {
    expect(assess(secret({ lastRotatedDate: ago(90 * DAY + 23 * HOUR) }), now, thresholds).overdue).toBe(
      false,
    );
    const late = assess(secret({ lastRotatedDate: ago(92 * DAY) }), now, thresholds);
    expect(late.overdue).toBe(true);
    expect(late.problems).toEqual(['last rotated 92 days ago, expected every 90 days']);
  });

  it('caps the grace at half the interval, so a 45-minute rotation is late after about 68 minutes', () => {
    const zoho = (minutes: number) =>
      assess(secret({ intervalTag: '45m', lastRotatedDate: ago(minutes * 60_000) }), now, thresholds);
    expect(zoho(60).overdue).toBe(false);
    expect(zoho(70).overdue).toBe(true);
  });

  it('judges a never-rotated secret by its creation date', () => {
    const never = assess(
      secret({ lastRotatedDate: undefined, createdDate: ago(200 * DAY) }),
      now,
      thresholds,
    );
    expect(never.overdue).toBe(true);
    expect(never.problems[0]).toMatch(/\(never rotated\)$/);
  });

  it('flags an AWSPENDING older than the threshold as stuck, not a fresh one', () => {
    expect(assess(secret({ pendingSince: [ago(HOUR)] }), now, thresholds).stuck).toBe(false);
    const stuck = assess(secret({ pendingSince: [ago(HOUR), ago(5 * HOUR)] }), now, thresholds);
    expect(stuck.stuck).toBe(true);
    expect(stuck.problems).toEqual(['a rotation has been AWSPENDING for 5 h']);
  });

  it('flags disabled rotation, and cannot judge a secret with no schedule', () => {
    const off = assess(
      secret({ rotationEnabled: false, automaticallyAfterDays: undefined }),
      now,
      thresholds,
    );
    expect(off).toMatchObject({
      disabled: true,
      unscheduled: true,
      overdue: false,
      problems: ['rotation is disabled'],
    });
  });

  it('names one state per secret, worst first: stuck, overdue, disabled, rotating, ok', () => {
    const state = (facts: Partial<SecretFacts>) => assess(secret(facts), now, thresholds).state;
    expect(state({})).toBe('ok');
    expect(state({ pendingSince: [ago(HOUR)] })).toBe('rotating');
    expect(state({ rotationEnabled: false })).toBe('disabled');
    expect(state({ rotationEnabled: false, lastRotatedDate: ago(200 * DAY) })).toBe('overdue');
    expect(state({ lastRotatedDate: ago(200 * DAY), pendingSince: [ago(5 * HOUR)] })).toBe('stuck');
  });

  it('calls a rotation stuck at once when its open version failed in a way retries cannot fix', () => {
    const failure = (retryable: boolean, version = 'v-pending') => ({
      step: 'setSecret',
      errorClass: retryable ? 'TargetUnreachableError' : 'CredentialRejectedError',
      retryable,
      version,
      at: ago(10 * 60_000),
    });
    const open = { pendingSince: [ago(20 * 60_000)], pendingVersionIds: ['v-pending'] };
    const unfixable = assess(secret({ ...open, lastFailure: failure(false) }), now, thresholds);
    expect(unfixable).toMatchObject({ state: 'stuck', stuck: true, rotating: false, stuckAt: 'setSecret' });
    expect(unfixable.problems).toEqual([
      'setSecret failed with CredentialRejectedError, which retries cannot fix',
    ]);
    // Retryable: the service is still retrying, so it is rotating (the status shows the failure).
    expect(assess(secret({ ...open, lastFailure: failure(true) }), now, thresholds)).toMatchObject({
      state: 'rotating',
      stuck: false,
    });
    // A failure of another version (an earlier rotation) says nothing about the open one.
    expect(assess(secret({ ...open, lastFailure: failure(false, 'v-old') }), now, thresholds).state).toBe(
      'rotating',
    );
    // Stuck by age, the failed step is named when it belongs to the open rotation.
    const old = { pendingSince: [ago(5 * HOUR)], pendingVersionIds: ['v-pending'] };
    expect(assess(secret({ ...old, lastFailure: failure(true) }), now, thresholds).stuckAt).toBe('setSecret');
    expect(assess(secret(old), now, thresholds).stuckAt).toBeUndefined();
  });
});
