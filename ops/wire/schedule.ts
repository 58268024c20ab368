/**
 * Rotation schedules as Secrets Manager takes them (RotationRules: ScheduleExpression + Duration),
 * validated here with the service's own rules so a bad schedule is refused before anything is
 * changed, with the rule it breaks:
 *
 * - `rate(N hour|hours|day|days)`: every 4 to 23 hours, or every 1 to 999 days; the window of a
 *   rate opens at midnight UTC;
 * - `cron(Minutes Hours Day-of-month Month Day-of-week Year)`: minutes 0 (windows open on the hour),
 *   year `*`, one of day-of-month and day-of-week `?`; hour increments reset each day, and no two
 *   windows of a day may be less than 4 hours apart;
 * - the window (Duration) is 1h to 24h, must not run into the next UTC day (start hour + window <=
 *   24) nor, for a schedule in hours, into the next window (window <= hours between rotations).
 */

export class ScheduleError extends Error {
  override readonly name = 'ScheduleError';
}

export interface Schedule {
  expression: string;
  /** `Duration`, e.g. `3h`. */
  window: string;
  /**
   * The longest the secret may go between two rotations under this schedule, for the monitor's
   * `rotation-interval` tag; undefined when the rotation rules say it themselves (a rate).
   */
  intervalTag?: string;
}

const HOUR_MS = 3_600_000;

/** `3h` -> 3; throws unless 1h..24h. */
export function windowHours(window: string): number {
  const match = /^(\d{1,2})h$/.exec(window.trim());
  const hours = Number(match?.[1]);
  if (!match || hours < 1 || hours > 24)
    throw new ScheduleError(`--window ${window}: must be whole hours from 1h to 24h (e.g. 3h)`);
  return hours;
}

/** Validate an expression and its window together; returns the schedule to send. */
export function parseSchedule(expression: string, window: string): Schedule {
  const trimmed = expression.trim();
  const hours = windowHours(window);
  if (trimmed.startsWith('rate('))
    return { expression: trimmed, window: `${hours}h`, ...checkRate(trimmed, hours) };
  if (trimmed.startsWith('cron('))
    return { expression: trimmed, window: `${hours}h`, ...checkCron(trimmed, hours) };
  throw new ScheduleError(
    `--schedule ${expression}: must be rate(<n> days|hours) or cron(0 <hours> <day-of-month> <month> <day-of-week> *)`,
  );
}

function checkRate(expression: string, window: number): { intervalTag?: string } {
  const match = /^rate\((\d+) (hour|hours|day|days)\)$/.exec(expression);
  if (!match)
    throw new ScheduleError(`--schedule ${expression}: a rate is rate(<n> days) or rate(<n> hours)`);
  const value = Number(match[1]);
  if (match[2]?.startsWith('hour')) {
    if (value < 4 || value > 23)
      throw new ScheduleError(
        `--schedule ${expression}: Secrets Manager rotates at most every 4 hours; use 4 to 23 hours, or days`,
      );
    if (window > value)
      throw new ScheduleError(
        `--window ${window}h is longer than the ${value} hours between rotations: it would run into the next window`,
      );
    return {};
  }
  if (value < 1 || value > 999)
    throw new ScheduleError(`--schedule ${expression}: a rate in days is 1 to 999 days`);
  return {}; // opens at midnight: any window up to 24h stays within the UTC day
}

// ---------------------------------------------------------------- cron

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/**
 * The values a cron field selects, `*`, lists, ranges, `a/step` and `a-b/step` included; names for
 * months and weekdays. Undefined for what cannot be enumerated here (`L`, `W`, `#`).
 */
function valuesOf(field: string, min: number, max: number, names: string[] = []): number[] | undefined {
  const named = (token: string) => {
    const index = names.indexOf(token.toUpperCase());
    return index >= 0 ? index + min : Number(token);
  };
  const values = new Set<number>();
  for (const part of field.split(',')) {
    if (/[LW#]/i.test(part) && !names.includes(part.toUpperCase())) return undefined;
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    let from: number;
    let to: number;
    if (range === '*') [from, to] = [min, max];
    else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      [from, to] = [named(a), named(b)];
    } else [from, to] = [named(range), stepText === undefined ? named(range) : max];
    if (![from, to, step].every(Number.isInteger) || from < min || to > max || from > to || step < 1)
      return undefined;
    for (let value = from; value <= to; value += step) values.add(value);
  }
  return [...values].sort((a, b) => a - b);
}

/** The longest gap between consecutive values of a cycle of `period` (the wrap-around included). */
function longestGap(values: number[], period: number): number {
  if (values.length <= 1) return period;
  return Math.max(
    ...values.map((value, index) => (values[index + 1] ?? (values[0] as number) + period) - value),
  );
}

function shortestGap(values: number[], period: number): number {
  if (values.length <= 1) return period;
  return Math.min(
    ...values.map((value, index) => (values[index + 1] ?? (values[0] as number) + period) - value),
  );
}

function checkCron(expression: string, window: number): { intervalTag: string } {
  const bad = (rule: string) => new ScheduleError(`--schedule ${expression}: ${rule}`);
  const body = /^cron\((.*)\)$/.exec(expression)?.[1] ?? '';
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6)
    throw bad('a cron has 6 fields: Minutes Hours Day-of-month Month Day-of-week Year');
  const [minutes, hoursField, dayOfMonth, month, dayOfWeek, year] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (minutes !== '0') throw bad('Minutes must be 0: Secrets Manager rotation windows open on the hour');
  if (year !== '*') throw bad('Year must be *');
  if ((dayOfMonth === '?') === (dayOfWeek === '?'))
    throw bad('exactly one of Day-of-month and Day-of-week must be ?');
  const hours = valuesOf(hoursField, 0, 23);
  if (!hours || hours.length === 0) throw bad(`Hours ${hoursField} is not 0-23 with , - * /`);
  const months = valuesOf(month, 1, 12, MONTHS);
  if (!months) throw bad(`Month ${month} is not 1-12 or JAN-DEC with , - * /`);

  // Hour increments reset each day, so the gaps are those within a day and across midnight.
  const hoursApart = shortestGap(hours, 24);
  if (hours.length > 1 && hoursApart < 4)
    throw bad(`windows ${hoursApart} hours apart: Secrets Manager rotates at most every 4 hours`);
  if (hours.length > 1 && window > hoursApart)
    throw new ScheduleError(
      `--window ${window}h is longer than the ${hoursApart} hours between windows: it would run into the next one`,
    );
  const lastStart = hours.at(-1) as number;
  if (lastStart + window > 24)
    throw new ScheduleError(
      `--window ${window}h from ${lastStart}:00 runs into the next UTC day (start hour + window must be at most 24)`,
    );

  return { intervalTag: `${Math.ceil(longestIntervalMs(hours, dayOfMonth, dayOfWeek, months) / HOUR_MS)}h` };
}

/**
 * An upper bound of the time between two rotations, so the monitor never calls a secret overdue
 * before its schedule did: within a day from the hours, then across days from the day fields.
 */
function longestIntervalMs(hours: number[], dayOfMonth: string, dayOfWeek: string, months: number[]): number {
  const DAY = 24;
  const everyDay = (dayOfMonth === '*' && dayOfWeek === '?') || (dayOfWeek === '*' && dayOfMonth === '?');
  let dayGap: number; // in days
  if (everyDay) dayGap = 1;
  else if (dayOfMonth === '?') {
    const days = valuesOf(dayOfWeek, 1, 7, WEEKDAYS);
    dayGap = days ? longestGap(days, 7) : 35; // SUN#1 or 5L: monthly, a month may hold 5 weeks
  } else {
    const days = valuesOf(dayOfMonth, 1, 31);
    // A month may be 28 days long: the gap across its end is up to 3 days longer.
    dayGap = days ? longestGap(days, 31) + 3 : 31;
  }
  const monthGap = months.length === 12 ? 0 : (longestGap(months, 12) - 1) * 31;
  const withinDay = dayGap === 1 ? longestGap(hours, DAY) : DAY * dayGap;
  return (withinDay + monthGap * DAY) * HOUR_MS;
}

/** The interval a rate expresses, for a message: `rate(90 days)` -> `90 days`. */
export function describeSchedule(schedule: Schedule): string {
  return `${schedule.expression}, window ${schedule.window}`;
}
