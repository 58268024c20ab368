import * as z from 'zod/mini';
import { describe, expect, it } from 'vitest';
import { SecretFormatError, SecretVersionMissingError } from '../../../shared/errors';
import { readOtherSecretAs } from '../../../shared/rotation/other-secret';
import { parserFor } from '../../../shared/rotation/secret-format';

const parseAdmin = parserFor(z.looseObject({ username: z.string(), password: z.string() }), 'admin');
const ACTION = 'Fix the admin secret: it needs username and password.';

/** A context whose other secrets are these values, by id; records what was asked for. */
function contextWith(values: Record<string, unknown>) {
  const asked: Array<[string, string]> = [];
  return {
    asked,
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
    await expect(readOtherSecretAs(ctx, 'arn:admin', 'admin secret', parseAdmin, ACTION)).resolves.toEqual({
      username: 'ops',
      password: 'admin-password-1',
      note: 'kept',
    });
    expect(ctx.asked).toEqual([['arn:admin', 'admin secret']]);
  });

  it('names the secret, keeps every problem and gives the action when the format is wrong', async () => {
    const ctx = contextWith({ 'arn:admin': { username: 7, password: 'admin-password-1' } });
    const error = await failure(readOtherSecretAs(ctx, 'arn:admin', 'admin secret', parseAdmin, ACTION));
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
    const missing = await failure(readOtherSecretAs(ctx, 'arn:absent', 'admin secret', parseAdmin, ACTION));
    expect(missing).toBeInstanceOf(SecretVersionMissingError);
    expect(missing.message).toBe('the admin secret arn:absent has no AWSCURRENT value');

    const bug = new TypeError('parser bug');
    const thrown = await failure(
      readOtherSecretAs(
        ctx,
        'arn:other',
        'admin secret',
        () => {
          throw bug;
        },
        ACTION,
      ),
    );
    expect(thrown).toBe(bug);
  });
});
