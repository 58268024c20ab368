import { afterEach, describe, expect, it } from 'vitest';
import { postgresRotator } from '../../../functions/postgres/rotator';
import type { PostgresSecret } from '../../../functions/postgres/secret';
import { logger } from '../../../shared/observability/logger';
import { noDeadline } from '../../../shared/net/deadline';
import type { RotationContext } from '../../../shared/rotation/rotator';

const CURRENT: PostgresSecret = {
  engine: 'postgres',
  host: 'db',
  port: 5432,
  username: 'crm_app',
  password: 'old-password-1',
  dbname: 'crm',
  proxy: 'keep-me',
};

function fakeContext(notes: Record<string, unknown>): RotationContext<PostgresSecret> {
  return {
    secretArn: 'arn',
    secretName: 'name',
    versionId: 'token',
    step: 'createSecret',
    ...noDeadline(),
    logger,
    current: async () => CURRENT,
    previous: async () => undefined,
    abandoned: async () => undefined,
    readOtherSecret: async () => {
      throw new Error('createSecret must not read other secrets');
    },
    annotate: (fields) => Object.assign(notes, fields),
    versionHasLabel: () => false,
    labelVersion: async () => undefined,
    unlabelVersion: async () => undefined,
  };
}

afterEach(() => {
  delete process.env.PASSWORD_LENGTH;
});

describe('createSecret for PostgreSQL (no side effects, no target access)', () => {
  it('single user: same role, new password, every other key kept', async () => {
    const notes = {};
    const pending = await postgresRotator.create(CURRENT, fakeContext(notes));
    expect(pending).toEqual({ ...CURRENT, password: pending.password });
    expect(pending.password).not.toBe(CURRENT.password);
    expect(notes).toEqual({ strategy: 'single-user', role: 'crm_app' });
  });

  it('alternating users: the other role, new password', async () => {
    const withMaster = { ...CURRENT, masterarn: 'arn:master' };
    const pending = await postgresRotator.create(withMaster, fakeContext({}));
    expect(pending).toEqual({ ...withMaster, username: 'crm_app_clone', password: pending.password });
    const back = await postgresRotator.create({ ...pending }, fakeContext({}));
    expect(back.username).toBe('crm_app');
  });

  it('follows PASSWORD_LENGTH, and a bad policy is a non-retryable PasswordPolicyError', async () => {
    process.env.PASSWORD_LENGTH = '48';
    expect((await postgresRotator.create(CURRENT, fakeContext({}))).password).toHaveLength(48);
    process.env.PASSWORD_LENGTH = '3';
    await expect(postgresRotator.create(CURRENT, fakeContext({}))).rejects.toMatchObject({
      name: 'PasswordPolicyError',
      message: 'the password policy is invalid: PASSWORD_LENGTH must be an integer between 12 and 4096',
      retryable: false,
    });
  });
});
