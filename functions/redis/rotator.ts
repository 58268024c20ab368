import { RotationError } from '../../shared/errors';
import type { RotationContext, Rotator } from '../../shared/rotation/rotator';
import { aclUserStrategy } from './acl-users';
import { awsUserStrategy } from './aws-users/strategy';
import {
  type AnyRedisSecret,
  type AwsUserSecret,
  isAwsUserSecret,
  parseAnyRedisSecret,
  type RedisSecret,
} from './secret';

const FORMATS = {
  aws: 'an ElastiCache/MemoryDB user secret (user_arn)',
  acl: 'a self-managed Redis ACL user secret (host, no user_arn)',
};

/**
 * The step's context seen through one strategy's format: every version it reads must be of that
 * format too, or the step stops (a secret edited from one format to the other mid-rotation must
 * not send one strategy's credential through the other).
 */
function narrowed<S extends AnyRedisSecret>(
  ctx: RotationContext<AnyRedisSecret>,
  aws: boolean,
): RotationContext<S> {
  const same = (value: AnyRedisSecret, stage: string): S => {
    if (isAwsUserSecret(value) !== aws) {
      throw new RotationError(
        `${stage} of ${ctx.secretName} is ${isAwsUserSecret(value) ? FORMATS.aws : FORMATS.acl}, but the version rotated in is ${aws ? FORMATS.aws : FORMATS.acl}: refusing to mix the two`,
        { action: 'Keep one format in every version of the secret, then start a new rotation.' },
      );
    }
    return value as S;
  };
  return {
    secretArn: ctx.secretArn,
    secretName: ctx.secretName,
    versionId: ctx.versionId,
    step: ctx.step,
    logger: ctx.logger,
    signal: ctx.signal,
    waitingFor: (label) => ctx.waitingFor(label),
    ...(ctx.lambda ? { lambda: ctx.lambda } : {}),
    current: async () => same(await ctx.current(), 'AWSCURRENT'),
    previous: async () => {
      const value = await ctx.previous();
      return value === undefined ? undefined : same(value, 'AWSPREVIOUS');
    },
    // Only a fallback login: one of the other format is simply of no use.
    abandoned: async () => {
      const value = await ctx.abandoned();
      return value !== undefined && isAwsUserSecret(value) === aws ? (value as S) : undefined;
    },
    readOtherSecret: (secretId, purpose) => ctx.readOtherSecret(secretId, purpose),
    annotate: (fields) => ctx.annotate(fields),
    versionHasLabel: (label) => ctx.versionHasLabel(label),
    labelVersion: (label) => ctx.labelVersion(label),
    unlabelVersion: (label) => ctx.unlabelVersion(label),
  };
}

const asAws = (ctx: RotationContext<AnyRedisSecret>) => narrowed<AwsUserSecret>(ctx, true);
const asAcl = (ctx: RotationContext<AnyRedisSecret>) => narrowed<RedisSecret>(ctx, false);

/**
 * Redis passwords, two ways, picked by the secret as PostgreSQL's strategy is by `masterarn`:
 * - no `user_arn`: a self-managed Redis 6+ ACL user (acl-users.ts), changed with ACL SETUSER on
 *   every node, several passwords at once;
 * - `user_arn`: an ElastiCache or MemoryDB RBAC user (aws-users/), changed through the service API,
 *   two passwords at most.
 * Both keep the previous password working until the next rotation: zero downtime either way.
 */
export const redisRotator: Rotator<AnyRedisSecret> = {
  kind: 'redis',
  parse: parseAnyRedisSecret,
  create: async (current, ctx) =>
    isAwsUserSecret(current)
      ? awsUserStrategy.create(current, asAws(ctx))
      : aclUserStrategy.create(current, asAcl(ctx)),
  set: (pending, ctx) =>
    isAwsUserSecret(pending)
      ? awsUserStrategy.set(pending, asAws(ctx))
      : aclUserStrategy.set(pending, asAcl(ctx)),
  test: (pending, ctx) =>
    isAwsUserSecret(pending)
      ? awsUserStrategy.test(pending, asAws(ctx))
      : aclUserStrategy.test(pending, asAcl(ctx)),
  finish: (pending, ctx) =>
    isAwsUserSecret(pending)
      ? awsUserStrategy.finish(pending, asAws(ctx))
      : aclUserStrategy.finish(pending, asAcl(ctx)),
  revoke: (previous, ctx) =>
    isAwsUserSecret(previous)
      ? awsUserStrategy.revoke(previous, asAws(ctx))
      : aclUserStrategy.revoke(previous, asAcl(ctx)),
};
