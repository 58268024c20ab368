import { ConfigurationError } from '../errors';

export interface NumberRange {
  min: number;
  max: number;
  /** Whole numbers only (milliseconds, counts). */
  integer?: boolean;
  /** What the number counts, for the message: "milliseconds", "hours". */
  unit?: string;
}

/** How a caller with its own error class (a password policy, a token lifetime) reports a bad value. */
export interface RefusalOptions {
  /** The error to throw, given the sentence that names the variable and the range. */
  refuse?: (problem: string) => ConfigurationError;
  /** How the expected value reads in that sentence, when not "an integer number of <unit>". */
  expected?: string;
}

/** Plain decimal notation: no hex, binary, Infinity or empty string, which Number() would accept. */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * A number from the function's environment, validated where it enters. Unset or empty gives
 * `fallback`; anything else must be a decimal number within [min, max] (and whole, when `integer`),
 * or a ConfigurationError names the variable and the range. Unchecked, `Number('5s')` is NaN, and a
 * NaN timeout silently disables axios's timeout or makes a wait loop never end.
 *
 * The value itself is left out of the message: it is not a secret, but the message should not have
 * to be trusted with whatever someone pasted into the wrong variable.
 *
 * The one reader of numbers from the environment: every function and layer reads its numbers here.
 */
export function numberFromEnv(
  name: string,
  fallback: number,
  range: NumberRange,
  env: NodeJS.ProcessEnv = process.env,
  refusal: RefusalOptions = {},
): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = DECIMAL.test(raw) ? Number(raw) : Number.NaN;
  const valid =
    Number.isFinite(value) &&
    value >= range.min &&
    value <= range.max &&
    (!range.integer || Number.isInteger(value));
  if (!valid) {
    const problem = `${name} must be ${refusal.expected ?? expected(range)} between ${range.min} and ${range.max}`;
    throw (
      refusal.refuse?.(problem) ??
      new ConfigurationError(problem, {
        action: `Fix ${name} in the function's environment (unset, it defaults to ${fallback}).`,
      })
    );
  }
  return value;
}

/**
 * A timeout in whole milliseconds, from 100 ms (less is a unit mistake: seconds for milliseconds) up
 * to `maxMs` (more is longer than the caller should wait).
 */
export function timeoutFromEnv(
  name: string,
  fallback: number,
  maxMs: number,
  env: NodeJS.ProcessEnv = process.env,
): number {
  return numberFromEnv(name, fallback, { min: 100, max: maxMs, integer: true, unit: 'milliseconds' }, env);
}

/** "an integer number of milliseconds", "a number of hours", "an integer", "a number". */
function expected(range: NumberRange): string {
  if (range.unit) return `${range.integer ? 'an integer' : 'a'} number of ${range.unit}`;
  return range.integer ? 'an integer' : 'a number';
}

/**
 * An operator's opt-in switch: exactly `true` turns it on; unset, empty or `false` leaves it off;
 * anything else is a ConfigurationError, so a typo (`ture`, `yes`) never quietly means either.
 */
export function flagFromEnv(name: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env[name];
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  throw new ConfigurationError(`${name} must be true or false (unset means false)`, {
    action: `Set ${name} to true or false in the function's environment (its template parameter).`,
  });
}

/** A comma-separated list from the environment, each entry trimmed, empty entries dropped. */
export function listFromEnv(name: string, env: NodeJS.ProcessEnv = process.env): string[] {
  return (env[name] ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
}
