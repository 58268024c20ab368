import { FRAGMENT_LENGTH } from '../observability/redaction';
import { randomInt } from 'node:crypto';
import { numberFromEnv } from '../config/env';
import { ConfigurationError } from '../errors';

/**
 * Password generation with the knobs AWS's own rotation functions read from the environment, done
 * locally with node:crypto: no GetRandomPassword call, so no extra API round trip per rotation.
 */
export interface PasswordPolicy {
  length: number;
  excludeCharacters: string;
  excludeNumbers: boolean;
  excludePunctuation: boolean;
  excludeUppercase: boolean;
  excludeLowercase: boolean;
  requireEachIncludedType: boolean;
}

const LOWERCASE = 'abcdefghijklmnopqrstuvwxyz';
const UPPERCASE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const NUMBERS = '0123456789';
/** The punctuation set of Secrets Manager's GetRandomPassword. */
export const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

/** AWS's RDS rotation functions exclude these by default: they break connection strings and shells. */
const DEFAULT_EXCLUDED_CHARACTERS = '/@"\'\\';

export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = {
  length: 32,
  excludeCharacters: DEFAULT_EXCLUDED_CHARACTERS,
  excludeNumbers: false,
  excludePunctuation: false,
  excludeUppercase: false,
  excludeLowercase: false,
  requireEachIncludedType: true,
};

/**
 * The password policy in the function's environment is malformed or impossible. A configuration
 * error like any other: not retryable (every retry reads the same environment), and named the same
 * whichever rotator generated the password.
 */
export class PasswordPolicyError extends ConfigurationError {
  override readonly name: string = 'PasswordPolicyError';

  constructor(problem: string) {
    super(`the password policy is invalid: ${problem}`, {
      action:
        'Fix PASSWORD_LENGTH, EXCLUDE_CHARACTERS, EXCLUDE_* and REQUIRE_EACH_INCLUDED_TYPE in the function environment.',
    });
  }
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(true|1|yes)$/i.test(raw)) return true;
  if (/^(false|0|no)$/i.test(raw)) return false;
  throw new PasswordPolicyError(`${name} must be true or false`);
}

/** Read PASSWORD_LENGTH, EXCLUDE_* and REQUIRE_EACH_INCLUDED_TYPE, falling back to `defaults`. */
export function passwordPolicyFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  defaults: PasswordPolicy = DEFAULT_PASSWORD_POLICY,
): PasswordPolicy {
  // At least the redaction's fragment length: a shorter generated password could not be scrubbed
  // from logs without erasing ordinary words (shared/observability/redaction.ts).
  const length = numberFromEnv(
    'PASSWORD_LENGTH',
    defaults.length,
    { min: FRAGMENT_LENGTH, max: 4096, integer: true },
    env,
    {
      refuse: (problem) => new PasswordPolicyError(problem),
    },
  );
  return {
    length,
    excludeCharacters: env.EXCLUDE_CHARACTERS ?? defaults.excludeCharacters,
    excludeNumbers: flag(env, 'EXCLUDE_NUMBERS', defaults.excludeNumbers),
    excludePunctuation: flag(env, 'EXCLUDE_PUNCTUATION', defaults.excludePunctuation),
    excludeUppercase: flag(env, 'EXCLUDE_UPPERCASE', defaults.excludeUppercase),
    excludeLowercase: flag(env, 'EXCLUDE_LOWERCASE', defaults.excludeLowercase),
    requireEachIncludedType: flag(env, 'REQUIRE_EACH_INCLUDED_TYPE', defaults.requireEachIncludedType),
  };
}

/** The character classes the policy allows, each minus the excluded characters; empty ones dropped. */
export function allowedClasses(policy: PasswordPolicy): string[] {
  const classes = [
    policy.excludeLowercase ? '' : LOWERCASE,
    policy.excludeUppercase ? '' : UPPERCASE,
    policy.excludeNumbers ? '' : NUMBERS,
    policy.excludePunctuation ? '' : PUNCTUATION,
  ];
  return classes
    .map((chars) => [...chars].filter((c) => !policy.excludeCharacters.includes(c)).join(''))
    .filter((chars) => chars.length > 0);
}

function pick(chars: string): string {
  // randomInt is uniform over the range: no modulo bias.
  return chars[randomInt(chars.length)] as string;
}

export function generatePassword(policy: PasswordPolicy = DEFAULT_PASSWORD_POLICY): string {
  const classes = allowedClasses(policy);
  if (classes.length === 0) {
    throw new PasswordPolicyError('it excludes every character');
  }
  if (policy.requireEachIncludedType && classes.length > policy.length) {
    throw new PasswordPolicyError(
      `PASSWORD_LENGTH ${policy.length} is too short to include each of ${classes.length} character types`,
    );
  }
  const all = classes.join('');
  const chars = policy.requireEachIncludedType ? classes.map(pick) : [];
  while (chars.length < policy.length) chars.push(pick(all));
  // Fisher-Yates, so the required characters are not always first.
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j] as string, chars[i] as string];
  }
  return chars.join('');
}
