import type { LambdaInvocation } from '../../../shared/observability/lambda-handler';
import { ConfigurationError } from '../../../shared/errors';
import { UserNotRotatableError } from '../errors';
import { type AwsUserSecret, parseUserArn, type UserArn } from '../secret';

/** The user a secret names, checked: safe to describe and change. */
export interface UserTarget extends UserArn {
  arn: string;
  /** The name clients AUTH with (the secret's `username`). */
  username: string;
  /** "ElastiCache user app-1 (arn:...)", for messages. */
  label: string;
}

const SERVICE_NAMES = { elasticache: 'ElastiCache', memorydb: 'MemoryDB' } as const;

/**
 * What the secret alone says about its user, refused when it is no user this function rotates:
 * the default user (every client of a cluster without RBAC users logs in as it; ElastiCache lets a
 * replacement default user have another id, hence both checks), or a MemoryDB ARN whose user name
 * is not the secret's `username`. No call is made.
 */
export function userTargetOf(secret: AwsUserSecret): UserTarget {
  const arn = parseUserArn(secret.user_arn);
  // The schema has already refused anything else.
  if (!arn) throw new UserNotRotatableError('`user_arn` is not an ElastiCache or MemoryDB user ARN');
  const label = `${SERVICE_NAMES[arn.service]} user ${arn.userId} (${secret.user_arn})`;
  if (secret.username === 'default' || arn.userId === 'default') {
    throw new UserNotRotatableError(`${label} is the default user: this function does not rotate it`, {
      action:
        'Rotate a named RBAC user instead; the default user should be disabled (off) in the user group, not rotated.',
    });
  }
  if (arn.service === 'memorydb' && arn.userId !== secret.username) {
    throw new UserNotRotatableError(
      `${label} is named ${arn.userId}, but the secret's \`username\` is ${secret.username}`,
      { action: 'Make `username` and the user name in `user_arn` the same user.' },
    );
  }
  return { ...arn, arn: secret.user_arn, username: secret.username, label };
}

const FUNCTION_ARN = /^arn:(aws[a-z-]*):lambda:([a-z0-9-]+):(\d{12}):function:/;

/**
 * The user a secret names, in this function's own account and region (the account from the
 * function's ARN in the Lambda context, the region from AWS_REGION): a secret must not steer the
 * function at a user elsewhere, even where its role would allow it. Refused before any call.
 */
export function userTargetInScope(
  secret: AwsUserSecret,
  lambda: LambdaInvocation | undefined,
  env: NodeJS.ProcessEnv = process.env,
): UserTarget {
  const target = userTargetOf(secret);
  const own = lambda ? FUNCTION_ARN.exec(lambda.invokedFunctionArn) : null;
  if (!own) {
    throw new ConfigurationError(
      `cannot tell which account this function runs in (no Lambda function ARN in the invocation context), so ${target.label} is not changed`,
      {
        action: 'Run ElastiCache/MemoryDB user rotations in Lambda (or a host that passes a Lambda context).',
      },
    );
  }
  const [, partition, functionRegion, account] = own as unknown as string[];
  const region = env.AWS_REGION || functionRegion;
  if (target.partition !== partition || target.account !== account) {
    throw new UserNotRotatableError(
      `${target.label} is in account ${target.account} (${target.partition}), not this function's account ${account}: refused`,
      { action: 'Rotate the user with the rotation function deployed in its own account.' },
    );
  }
  if (target.region !== region) {
    throw new UserNotRotatableError(
      `${target.label} is in region ${target.region}, not this function's region ${region}: refused`,
      { action: 'Rotate the user with the rotation function deployed in its own region.' },
    );
  }
  return target;
}
