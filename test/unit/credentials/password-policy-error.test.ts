import { afterEach, describe, expect, it, vi } from 'vitest';
import { postgresRotator } from '../../../functions/postgres/rotator';
import type { PostgresSecret } from '../../../functions/postgres/secret';
import { redisRotator } from '../../../functions/redis/rotator';
import type { RedisSecret } from '../../../functions/redis/secret';
import { PasswordPolicyError, passwordPolicyFromEnv } from '../../../shared/credentials/password';
import { logger } from '../../../shared/observability/logger';
import { ConfigurationError, RotationError } from '../../../shared/errors';
import { summarizeFailure } from '../../../shared/rotation/failure';
import { noDeadline } from '../../../shared/net/deadline';
import type { RotationContext } from '../../../shared/rotation/rotator';

function contextFor<S>(current: S): RotationContext<S> {
  return {
    secretArn: 'arn:aws:secretsmanager:us-east-1:1:secret:s',
    secretName: 's',
    versionId: 'token',
    step: 'createSecret',
    ...noDeadline(),
    logger,
    current: async () => current,
    previous: async () => undefined,
    abandoned: async () => undefined,
    readOtherSecret: async () => {
      throw new Error('createSecret must not read other secrets');
    },
    annotate: () => undefined,
    versionHasLabel: () => false,
    labelVersion: async () => undefined,
    unlabelVersion: async () => undefined,
  };
}

const postgres: PostgresSecret = {
  engine: 'postgres',
  host: 'db',
  username: 'app',
  password: 'current-password-1',
};
const redis: RedisSecret = { host: 'cache', username: 'app', password: 'current-password-1' };

/** Every rotator that generates passwords, each creating a pending value from its current one. */
const creators: Record<string, () => Promise<unknown>> = {
  postgres: () => postgresRotator.create(postgres, contextFor(postgres)),
  redis: () => redisRotator.create(redis, contextFor(redis)),
};

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('PasswordPolicyError', () => {
  it('is a non-retryable configuration error with an action', () => {
    const error = new PasswordPolicyError('PASSWORD_LENGTH must be an integer between 12 and 4096');
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error).toBeInstanceOf(RotationError);
    expect(error.retryable).toBe(false);
    expect(summarizeFailure(error)).toEqual({
      errorClass: 'PasswordPolicyError',
      message: 'the password policy is invalid: PASSWORD_LENGTH must be an integer between 12 and 4096',
      retryable: false,
      action:
        'Fix PASSWORD_LENGTH, EXCLUDE_CHARACTERS, EXCLUDE_* and REQUIRE_EACH_INCLUDED_TYPE in the function environment.',
    });
  });

  it('is what reading a malformed policy throws', () => {
    expect(() => passwordPolicyFromEnv({ EXCLUDE_NUMBERS: 'maybe' })).toThrow(PasswordPolicyError);
  });

  it.each([
    ['PASSWORD_LENGTH', '3', 'PASSWORD_LENGTH must be an integer between 12 and 4096'],
    ['EXCLUDE_UPPERCASE', 'perhaps', 'EXCLUDE_UPPERCASE must be true or false'],
  ])('every rotator reports %s=%s the same way, not retryable', async (name, value, problem) => {
    vi.stubEnv(name, value);
    for (const [kind, create] of Object.entries(creators)) {
      const error = await create().then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error, kind).toBeInstanceOf(PasswordPolicyError);
      expect(summarizeFailure(error), kind).toMatchObject({
        errorClass: 'PasswordPolicyError',
        message: `the password policy is invalid: ${problem}`,
        retryable: false,
      });
    }
  });

  it('an impossible combination is refused the same way', async () => {
    vi.stubEnv('EXCLUDE_CHARACTERS', '');
    vi.stubEnv('EXCLUDE_LOWERCASE', 'true');
    vi.stubEnv('EXCLUDE_UPPERCASE', 'true');
    vi.stubEnv('EXCLUDE_NUMBERS', 'true');
    vi.stubEnv('EXCLUDE_PUNCTUATION', 'true');
    for (const create of Object.values(creators)) {
      await expect(create()).rejects.toMatchObject({
        name: 'PasswordPolicyError',
        message: 'the password policy is invalid: it excludes every character',
        retryable: false,
      });
    }
  });
});
