import { afterEach, describe, expect, it, vi } from 'vitest';
import { monitorConfigFromEnv } from '../../../functions/rotation-monitor/settings';
import { numberFromEnv } from '../../../shared/config/env';
import { noDeadline } from '../../../shared/net/deadline';
import { httpRequest, httpTimeoutMs } from '../../../shared/net/http';
import { ConfigurationError, RotationError } from '../../../shared/errors';

const MS = { min: 100, max: 600_000, integer: true, unit: 'milliseconds' };

function failure(run: () => unknown): ConfigurationError {
  try {
    run();
  } catch (error) {
    return error as ConfigurationError;
  }
  throw new Error('expected a ConfigurationError');
}

describe('numberFromEnv', () => {
  it('falls back when the variable is unset, empty or blank', () => {
    expect(numberFromEnv('X_MS', 5000, MS, {})).toBe(5000);
    expect(numberFromEnv('X_MS', 5000, MS, { X_MS: '' })).toBe(5000);
    expect(numberFromEnv('X_MS', 5000, MS, { X_MS: '  ' })).toBe(5000);
  });

  it('reads decimal numbers, the bounds included', () => {
    expect(numberFromEnv('X_MS', 5000, MS, { X_MS: '750' })).toBe(750);
    expect(numberFromEnv('X_MS', 5000, MS, { X_MS: ' 100 ' })).toBe(100);
    expect(numberFromEnv('X_MS', 5000, MS, { X_MS: '600000' })).toBe(600_000);
    expect(numberFromEnv('X_MS', 5000, MS, { X_MS: '2e3' })).toBe(2000);
    expect(numberFromEnv('GRACE', 24, { min: 0, max: 100 }, { GRACE: '0.5' })).toBe(0.5);
    expect(numberFromEnv('GRACE', 24, { min: 0, max: 100 }, { GRACE: '0' })).toBe(0);
  });

  it.each(['5s', 'NaN', 'Infinity', '0x10', '0b11', '1,000', 'ten', '99', '600001', '-1', '250.5'])(
    'refuses %j with a non-retryable ConfigurationError naming the variable and the range',
    (raw) => {
      const error = failure(() => numberFromEnv('X_MS', 5000, MS, { X_MS: raw }));
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(error).toBeInstanceOf(RotationError);
      expect(error.name).toBe('ConfigurationError');
      expect(error.retryable).toBe(false);
      expect(error.message).toBe('X_MS must be an integer number of milliseconds between 100 and 600000');
      expect(error.action).toBe("Fix X_MS in the function's environment (unset, it defaults to 5000).");
    },
  );

  it('says what kind of number it wanted', () => {
    expect(failure(() => numberFromEnv('H', 1, { min: 0, max: 9, unit: 'hours' }, { H: 'x' })).message).toBe(
      'H must be a number of hours between 0 and 9',
    );
    expect(failure(() => numberFromEnv('N', 1, { min: 1, max: 9, integer: true }, { N: 'x' })).message).toBe(
      'N must be an integer between 1 and 9',
    );
    expect(failure(() => numberFromEnv('N', 1, { min: 1, max: 9 }, { N: 'x' })).message).toBe(
      'N must be a number between 1 and 9',
    );
  });

  it('never quotes the value it refused', () => {
    const value = 'pasted-a-password-here';
    const error = failure(() => numberFromEnv('X_MS', 5000, MS, { X_MS: value }));
    expect(`${error.message} ${error.action}`).not.toContain(value);
  });
});

describe('numeric settings read through numberFromEnv', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('HTTP_TIMEOUT_MS: 10 s by default; a non-number is refused instead of disabling the timeout', () => {
    expect(httpTimeoutMs({})).toBe(10_000);
    expect(httpTimeoutMs({ HTTP_TIMEOUT_MS: '2500' })).toBe(2500);
    expect(() => httpTimeoutMs({ HTTP_TIMEOUT_MS: 'ten seconds' })).toThrow(ConfigurationError);
  });

  it('a bad HTTP_TIMEOUT_MS fails a request as a configuration error, not as an unreachable target', async () => {
    vi.stubEnv('HTTP_TIMEOUT_MS', '10s');
    const request = httpRequest({
      deadline: noDeadline(),
      method: 'GET',
      url: new URL('http://127.0.0.1:9/'),
      purpose: 'a test endpoint',
      field: '`url`',
    });
    await expect(request).rejects.toBeInstanceOf(ConfigurationError);
    await expect(request).rejects.toThrow(
      'HTTP_TIMEOUT_MS must be an integer number of milliseconds between 100 and 600000',
    );
  });

  it('OVERDUE_GRACE_HOURS and STUCK_AFTER_MINUTES: defaults, fractions, and refusals', () => {
    expect(monitorConfigFromEnv({})).toMatchObject({
      overdueGraceMs: 24 * 3_600_000,
      stuckAfterMs: 180 * 60_000,
    });
    expect(monitorConfigFromEnv({ OVERDUE_GRACE_HOURS: '0.5', STUCK_AFTER_MINUTES: '0' })).toMatchObject({
      overdueGraceMs: 1_800_000,
      stuckAfterMs: 0,
    });
    expect(() => monitorConfigFromEnv({ OVERDUE_GRACE_HOURS: 'a day' })).toThrow(
      'OVERDUE_GRACE_HOURS must be a number of hours between 0 and 8760',
    );
    expect(() => monitorConfigFromEnv({ STUCK_AFTER_MINUTES: '-5' })).toThrow(
      'STUCK_AFTER_MINUTES must be a number of minutes between 0 and 525600',
    );
  });
});
