import { SecretFormatError } from '../errors';
import type { RotationContext } from './rotator';

/**
 * Read another secret a rotator depends on (a master, admin or client-credentials secret) and parse
 * it with the rotator's own parser. A format error is rethrown naming that secret, by the id the
 * rotator was given (never a value), with `action` saying how to fix it:
 * "the master secret arn:... is not a valid postgres master secret: `password` is required".
 *
 * `purpose` names the secret in every message, the core's "has no AWSCURRENT value" included.
 */
export async function readOtherSecretAs<T>(
  ctx: Pick<RotationContext<unknown>, 'readOtherSecret'>,
  secretId: string,
  purpose: string,
  parse: (value: unknown) => T,
  action: string,
): Promise<T> {
  const value = await ctx.readOtherSecret(secretId, purpose);
  try {
    return parse(value);
  } catch (error) {
    if (!(error instanceof SecretFormatError)) throw error;
    throw new SecretFormatError(`the ${purpose} ${secretId} is ${error.message}`, error.problems, { action });
  }
}
