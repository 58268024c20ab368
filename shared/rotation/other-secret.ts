import { flagFromEnv } from '../config/env';
import { CrossEnvironmentReferenceError, SecretFormatError } from '../errors';
import type { RotationContext } from './rotator';

/** The key of a secret that names another secret: which one is refused, and in which message. */
export type ReferenceKey = 'masterarn' | 'adminarn' | 'client_secret_arn';

/** The operator's opt-out, for estates that really share one master or admin across environments. */
export const CROSS_ENVIRONMENT_VARIABLE = 'ALLOW_CROSS_ENVIRONMENT_REFERENCES';

/**
 * The deployment's opt-in to master/admin secrets that name no host (RDS-managed master secrets):
 * their credential is then sent to whatever host the application secret names. Off by default.
 */
export const ADMIN_WITHOUT_HOST_VARIABLE = 'ALLOW_ADMIN_SECRET_WITHOUT_HOST';

export function adminSecretWithoutHostAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  return flagFromEnv(ADMIN_WITHOUT_HOST_VARIABLE, env);
}

/** `arn:<partition>:secretsmanager:<region>:<account>:secret:<name>`, the name possibly suffixed. */
const SECRET_ARN = /^arn:([^:]+):secretsmanager:([^:]*):(\d*):secret:(.+)$/;

/** Where a secret lives, as far as a reference (a name or an ARN) says. */
export interface SecretPlace {
  /** `{org}/{component}/{env}/{type}` split, when the name follows the convention. */
  org?: string;
  env?: string;
  /** From an ARN only. */
  account?: string;
  name: string;
}

/**
 * What a secret id says about where the secret lives. An ARN ends with Secrets Manager's random
 * `-AbCdEf` suffix; it only ever touches the last segment (`{type}`), never org or environment,
 * so both are read without guessing whether a suffix is there.
 */
export function secretPlace(secretId: string): SecretPlace {
  const arn = SECRET_ARN.exec(secretId);
  const name = arn ? (arn[4] as string) : secretId;
  const segments = name.split('/');
  const follows = segments.length >= 4 && segments.every((segment) => segment.length > 0);
  return {
    name,
    ...(follows ? { org: segments[0] as string, env: segments[2] as string } : {}),
    ...(arn?.[3] ? { account: arn[3] } : {}),
  };
}

/**
 * Refuse a reference to a secret of another org, environment or account, where both names follow
 * `{org}/{component}/{env}/{type}` (another component of the same org and environment is fine: a
 * shared admin). A name that does not follow the convention says nothing either way and passes;
 * IAM (the template grants each function only its own environment's secrets) still applies.
 * Checked before the referenced secret is read, so a refused reference costs no call.
 */
export function refuseCrossEnvironmentReference(
  referrer: { secretArn: string; secretName: string },
  key: ReferenceKey,
  reference: string,
  env: NodeJS.ProcessEnv = process.env,
): void {
  if (flagFromEnv(CROSS_ENVIRONMENT_VARIABLE, env)) return;
  const byArn = secretPlace(referrer.secretArn);
  const own = { ...byArn, ...secretPlace(referrer.secretName) };
  const other = secretPlace(reference);
  const ownAccount = byArn.account;
  const refuse = (what: string) =>
    new CrossEnvironmentReferenceError(
      `secret ${referrer.secretName}: \`${key}\` names ${reference}, ${what}; refused (a secret may reference only secrets of its own org and environment)`,
      {
        action: `Point \`${key}\` at the secret of the same org and environment. If this estate really shares it across environments, set ${CROSS_ENVIRONMENT_VARIABLE}=true on the function (template parameter AllowCrossEnvironmentReferences).`,
      },
    );
  if (ownAccount && other.account && ownAccount !== other.account) {
    throw refuse(`a secret of account ${other.account}, not ${ownAccount}`);
  }
  if (own.org === undefined || other.org === undefined) return;
  if (own.org !== other.org) throw refuse(`a secret of org ${other.org}, not ${own.org}`);
  if (own.env !== other.env) throw refuse(`a secret of environment ${other.env}, not ${own.env}`);
}

/** Which other secret to read: the key that names it, its id, and what it is for in messages. */
export interface OtherSecret {
  key: ReferenceKey;
  secretId: string;
  /** "master secret", "Redis admin secret" */
  purpose: string;
}

/**
 * Read another secret a rotator depends on (a master, admin or client-credentials secret) and parse
 * it with the rotator's own parser, after refusing a reference to another org or environment. A
 * format error is rethrown naming that secret, by the id the rotator was given (never a value),
 * with `action` saying how to fix it:
 * "the master secret arn:... is not a valid postgres master secret: `password` is required".
 *
 * `purpose` names the secret in every message, the core's "has no AWSCURRENT value" included.
 */
export async function readOtherSecretAs<T>(
  ctx: Pick<RotationContext<unknown>, 'readOtherSecret' | 'secretArn' | 'secretName'>,
  { key, secretId, purpose }: OtherSecret,
  parse: (value: unknown) => T,
  action: string,
): Promise<T> {
  refuseCrossEnvironmentReference(ctx, key, secretId);
  const value = await ctx.readOtherSecret(secretId, purpose);
  try {
    return parse(value);
  } catch (error) {
    if (!(error instanceof SecretFormatError)) throw error;
    throw new SecretFormatError(`the ${purpose} ${secretId} is ${error.message}`, error.problems, { action });
  }
}
