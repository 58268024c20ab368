import { describe, expect, it } from 'vitest';
import { KINDS } from '../../../ops/wire/kinds';
import { parseSchedule, ScheduleError } from '../../../ops/wire/schedule';
import { refreshScheduleName } from '../../../ops/wire/refresh-schedule';

/** Secrets Manager's rules for ScheduleExpression and Duration, enforced before anything is sent. */
describe('parseSchedule', () => {
  it.each([
    ['rate(90 days)', '4h', undefined],
    ['rate(1 day)', '24h', undefined],
    ['rate(4 hours)', '4h', undefined],
    ['rate(12 hours)', '1h', undefined],
    ['cron(0 2 ? * SUN *)', '3h', '168h'],
    ['cron(0 4/12 * * ? *)', '2h', '12h'],
    ['cron(0 1 ? * MON-FRI *)', '4h', '72h'],
    ['cron(0 16 1 * ? *)', '8h', '816h'],
    ['cron(0 3 ? JAN,JUL SUN#1 *)', '1h', `${35 * 24 + 5 * 31 * 24}h`],
  ])('accepts %s with window %s (interval tag %s)', (expression, window, intervalTag) => {
    expect(parseSchedule(expression, window)).toEqual({
      expression,
      window,
      ...(intervalTag ? { intervalTag } : {}),
    });
  });

  it.each([
    ['rate(3 hours)', '1h', 'at most every 4 hours'],
    ['rate(24 hours)', '1h', '4 to 23 hours'],
    ['rate(1000 days)', '4h', '1 to 999 days'],
    ['rate(6 hours)', '8h', 'longer than the 6 hours between rotations'],
    ['rate(90 weeks)', '4h', 'rate(<n> days)'],
    ['cron(30 2 * * ? *)', '1h', 'Minutes must be 0'],
    ['cron(0 2 * * ? 2027)', '1h', 'Year must be *'],
    ['cron(0 2 * * MON *)', '1h', 'exactly one of Day-of-month and Day-of-week must be ?'],
    ['cron(0 2 * *)', '1h', 'a cron has 6 fields'],
    ['cron(0 0/2 * * ? *)', '1h', '2 hours apart'],
    ['cron(0 0/6 * * ? *)', '7h', 'longer than the 6 hours between windows'],
    ['cron(0 22 * * ? *)', '3h', 'runs into the next UTC day'],
    ['rate(90 days)', '25h', 'from 1h to 24h'],
    ['rate(90 days)', '0h', 'from 1h to 24h'],
    ['rate(90 days)', '90m', 'from 1h to 24h'],
    ['every 90 days', '4h', 'must be rate('],
  ])('refuses %s with window %s: %s', (expression, window, rule) => {
    expect(() => parseSchedule(expression, window)).toThrow(ScheduleError);
    expect(() => parseSchedule(expression, window)).toThrow(rule);
  });

  it("keeps every kind's default schedule within the rules: 90 days for passwords, 30 for tokens, Zoho's backstop", () => {
    const defaults = Object.fromEntries(
      Object.values(KINDS).map((k) => [k.kind, parseSchedule(k.schedule, k.window).expression]),
    );
    expect(defaults).toEqual({
      postgres: 'rate(90 days)',
      redis: 'rate(90 days)',
      'webhook-bearer': 'rate(30 days)',
      'mcp-token': 'rate(30 days)',
      'zoho-oauth': 'rate(4 hours)',
    });
    expect(KINDS['zoho-oauth']?.refresh).toEqual({ expression: 'rate(45 minutes)', intervalTag: '45m' });
  });
});

describe('refreshScheduleName', () => {
  it('is a valid Scheduler name, the same for the same secret, distinct for secrets sharing a long prefix', () => {
    const long = `sergas/zoho/prod/${'refresh_token_of_a_very_long_integration_name_'.repeat(2)}`;
    for (const name of ['sergas/zoho/prod/refresh_token', long, `${long}2`])
      expect(refreshScheduleName(name)).toMatch(/^[0-9A-Za-z_.-]{1,64}$/);
    expect(refreshScheduleName('sergas/zoho/prod/refresh_token')).toBe(
      'zoho-refresh-sergas-zoho-prod-refresh_token',
    );
    expect(refreshScheduleName(long)).toBe(refreshScheduleName(long));
    expect(refreshScheduleName(long)).not.toBe(refreshScheduleName(`${long}2`));
  });
});
