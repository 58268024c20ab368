import * as z from 'zod/mini';
import { describe, expect, it } from 'vitest';
import {
  CrossEnvironmentReferenceError,
  SecretFormatError,
  SecretVersionMissingError,
} from '../../../shared/errors';
import {
  readOtherSecretAs,
  refuseCrossEnvironmentReference,
  secretPlace,
} from '../../../shared/rotation/other-secret';
import { parserFor } from '../../../shared/rotation/secret-format';

const parseAdmin = parserFor(z.looseObject({ username: z.string(), password: z.string() }), 'admin');
const ACTION = 'Fix the admin secret: it needs username and password.';
const admin = (secretId: string) => ({ key: 'adminarn' as const, secretId, purpose: 'admin secret' });

/** A context whose other secrets are these values, by id; records what was asked for. */
function contextWith(values: Record<string, unknown>) {
  const asked: Array<[string, string]> = [];
  return {
    asked,
    secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:sergas/redis/prod/password-AbCdEf',
    secretName: 'sergas/redis/prod/password',
    readOtherSecret: async (secretId: string, purpose: string) => {
      asked.push([secretId, purpose]);
      if (!(secretId in values)) {
        throw new SecretVersionMissingError(`the ${purpose} ${secretId} has no AWSCURRENT value`);
      }
      return values[secretId];
    },
  };
}

async function failure(promise: Promise<unknown>): Promise<SecretFormatError> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error as SecretFormatError,
  );
}

describe('readOtherSecretAs', () => {
  it('reads the other secret for its purpose and returns it parsed', async () => {
    const ctx = contextWith({ 'arn:admin': { username: 'ops', password: 'admin-password-1', note: 'kept' } });
    await expect(readOtherSecretAs(ctx, admin('arn:admin'), parseAdmin, ACTION)).resolves.toEqual({
      username: 'ops',
      password: 'admin-password-1',
      note: 'kept',
    });
    expect(ctx.asked).toEqual([['arn:admin', 'admin secret']]);
  });

  it('names the secret, keeps every problem and gives the action when the format is wrong', async () => {
    const ctx = contextWith({ 'arn:admin': { username: 7, password: 'admin-password-1' } });
    const error = await failure(readOtherSecretAs(ctx, admin('arn:admin'), parseAdmin, ACTION));
    expect(error).toBeInstanceOf(SecretFormatError);
    expect(error.message).toBe(
      'the admin secret arn:admin is not a valid admin secret: `username` must be a string',
    );
    expect(error.problems).toEqual(['`username` must be a string']);
    expect(error.action).toBe(ACTION);
    expect(error.retryable).toBe(false);
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain('admin-password-1');
  });

  it('lets a missing secret and a parser bug through unchanged', async () => {
    const ctx = contextWith({ 'arn:other': {} });
    const missing = await failure(readOtherSecretAs(ctx, admin('arn:absent'), parseAdmin, ACTION));
    expect(missing).toBeInstanceOf(SecretVersionMissingError);
    expect(missing.message).toBe('the admin secret arn:absent has no AWSCURRENT value');

    const bug = new TypeError('parser bug');
    const thrown = await failure(
      readOtherSecretAs(
        ctx,
        admin('arn:other'),
        () => {
          throw bug;
        },
        ACTION,
      ),
    );
    expect(thrown).toBe(bug);
  });
});

const PROD_APP = {
  secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:sergas/postgres/prod/app-Q1w2E3',
  secretName: 'sergas/postgres/prod/app',
};
const arnOf = (name: string, account = '123456789012') =>
  `arn:aws:secretsmanager:eu-west-1:${account}:secret:${name}-Zx9Yw8`;

function refusal(reference: string, env: NodeJS.ProcessEnv = {}): CrossEnvironmentReferenceError | undefined {
  try {
    refuseCrossEnvironmentReference(PROD_APP, 'masterarn', reference, env);
    return undefined;
  } catch (error) {
    return error as CrossEnvironmentReferenceError;
  }
}

describe('cross-environment references', () => {
  it('reads org and environment from a name or an ARN, whatever its random suffix', () => {
    expect(secretPlace('sergas/postgres/prod/master')).toEqual({
      name: 'sergas/postgres/prod/master',
      org: 'sergas',
      env: 'prod',
    });
    expect(secretPlace(arnOf('sergas/postgres/dev/master-secret'))).toEqual({
      name: 'sergas/postgres/dev/master-secret-Zx9Yw8',
      org: 'sergas',
      env: 'dev',
      account: '123456789012',
    });
    expect(secretPlace('legacy-master')).toEqual({ name: 'legacy-master' });
    expect(secretPlace('sergas//prod/master')).toEqual({ name: 'sergas//prod/master' });
  });

  it('allows a secret of the same org and environment, another component included', () => {
    expect(refusal('sergas/postgres/prod/master')).toBeUndefined();
    expect(refusal(arnOf('sergas/shared-db/prod/master'))).toBeUndefined();
  });

  it('refuses another environment, by name or by ARN, naming the key and the rule', () => {
    for (const reference of ['sergas/postgres/dev/master', arnOf('sergas/postgres/staging/master')]) {
      const error = refusal(reference);
      expect(error).toBeInstanceOf(CrossEnvironmentReferenceError);
      expect(error?.retryable).toBe(false);
      expect(error?.message).toContain('`masterarn`');
      expect(error?.message).toMatch(/a secret of environment (dev|staging), not prod/);
      expect(error?.action).toContain('ALLOW_CROSS_ENVIRONMENT_REFERENCES=true');
    }
  });

  it('refuses another org and another account', () => {
    expect(refusal('acme/postgres/prod/master')?.message).toContain('a secret of org acme, not sergas');
    expect(refusal(arnOf('sergas/postgres/prod/master', '999999999999'))?.message).toContain(
      'a secret of account 999999999999, not 123456789012',
    );
  });

  it('says nothing about a name outside the convention', () => {
    expect(refusal('legacy-master')).toBeUndefined();
    expect(refusal(arnOf('rds!db-1234'))).toBeUndefined();
  });

  it('lets the operator opt out, and refuses a typo in the switch', () => {
    expect(
      refusal('sergas/postgres/dev/master', { ALLOW_CROSS_ENVIRONMENT_REFERENCES: 'true' }),
    ).toBeUndefined();
    expect(() =>
      refuseCrossEnvironmentReference(PROD_APP, 'masterarn', 'x', {
        ALLOW_CROSS_ENVIRONMENT_REFERENCES: 'yes',
      }),
    ).toThrow(/ALLOW_CROSS_ENVIRONMENT_REFERENCES must be true or false/);
  });

  it('refuses before the referenced secret is read', async () => {
    const ctx = { ...contextWith({}), ...PROD_APP };
    await expect(
      readOtherSecretAs(
        ctx,
        { key: 'masterarn', secretId: 'sergas/postgres/dev/master', purpose: 'master secret' },
        parseAdmin,
        ACTION,
      ),
    ).rejects.toBeInstanceOf(CrossEnvironmentReferenceError);
    expect(ctx.asked).toEqual([]);
  });
});
