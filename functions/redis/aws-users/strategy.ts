import {
  generatePassword,
  PasswordPolicyError,
  passwordPolicyFromEnv,
} from '../../../shared/credentials/password';
import { RotationError, SecretFormatError } from '../../../shared/errors';
import type { LambdaInvocation } from '../../../shared/observability/lambda-handler';
import type { RotationContext } from '../../../shared/rotation/rotator';
import { Stage } from '../../../shared/secrets/stages';
import { withSession } from '../connection';
import { UserNotActiveError, UserNotRotatableError } from '../errors';
import { provePing } from '../ping';
import type { AwsUserSecret } from '../secret';
import { awsUserSettings, redisSettings } from '../settings';
import type { Strategy } from '../strategy';
import { type UserTarget, userTargetInScope, userTargetOf } from './scope';
import { type UserApi, type UserState, userApiFor } from './service';
import { waitForActive } from './wait';
import { DEADLINE_MARGIN_MS } from '../../../shared/rotation/auditing';

type Ctx = RotationContext<AwsUserSecret>;

/**
 * Time a step keeps after waiting: the core's deadline margin (when it reports a timeout and
 * aborts the step's calls), plus a little, so the wait gives up first with the user's status named.
 */
const AUDIT_RESERVE_MS = DEADLINE_MARGIN_MS + 500;
const DEFAULT_PORT = 6379;
/** ElastiCache and MemoryDB refuse passwords outside 16..128 characters and with @, " or /. */
const SERVICE_PASSWORD = { minLength: 16, maxLength: 128, forbidden: '@"/' };

/** The function's password policy, held to the services' rules (a policy they would refuse fails here). */
function servicePasswordPolicy() {
  const policy = passwordPolicyFromEnv();
  if (policy.length < SERVICE_PASSWORD.minLength || policy.length > SERVICE_PASSWORD.maxLength) {
    throw new PasswordPolicyError(
      `PASSWORD_LENGTH must be between ${SERVICE_PASSWORD.minLength} and ${SERVICE_PASSWORD.maxLength} for ElastiCache and MemoryDB users`,
    );
  }
  return { ...policy, excludeCharacters: policy.excludeCharacters + SERVICE_PASSWORD.forbidden };
}

function strategyName(target: UserTarget): string {
  return target.service === 'elasticache' ? 'elasticache-user' : 'memorydb-user';
}

interface Prepared {
  target: UserTarget;
  api: UserApi;
  lambda: LambdaInvocation;
  current: AwsUserSecret;
}

/**
 * Everything a step checks before its first call: the secret's user in this account and region,
 * AWSCURRENT of the same format and user, and a Lambda context (for the account and the deadline).
 */
async function prepare(secret: AwsUserSecret, ctx: Ctx): Promise<Prepared> {
  const target = userTargetInScope(secret, ctx.lambda);
  const current = await ctx.current();
  if (current.user_arn !== secret.user_arn || current.username !== secret.username) {
    throw new UserNotRotatableError(
      `AWSCURRENT of ${ctx.secretName} names ${current.username} (${current.user_arn}), not ${target.label}: refusing to change a user the current credential does not belong to`,
      { action: 'Keep `user_arn` and `username` the same in every version; start a new rotation.' },
    );
  }
  ctx.annotate({ strategy: strategyName(target), user: target.username, userArn: target.arn });
  return { target, api: await userApiFor(target, ctx), lambda: ctx.lambda as LambdaInvocation, current };
}

/**
 * What DescribeUsers says must match the secret before a password is set: the user clients AUTH as
 * is `username`, and it authenticates by password. A user with no password is accepted only for
 * the first rotation of a secret that has none yet (AWS's guide creates both that way); an IAM-auth
 * user never is: its clients authenticate with IAM tokens, not a password.
 */
function checkUser(user: UserState, { target, current }: Prepared): void {
  if (user.userName !== target.username) {
    throw new UserNotRotatableError(
      `${target.label} is named ${user.userName ?? '(no name)'}, but the secret's \`username\` is ${target.username}`,
      { action: 'Make `username` the user name of the user `user_arn` names (DescribeUsers shows it).' },
    );
  }
  const firstPassword = user.authType === 'no-password' && current.password === undefined;
  if (user.authType !== 'password' && !firstPassword) {
    throw new UserNotRotatableError(
      `${target.label} authenticates with ${user.authType ?? 'an unknown mode'}, not a password: it is not rotated by password`,
      {
        action:
          user.authType === 'iam'
            ? 'IAM-auth users need no password rotation (their tokens are short-lived); remove the rotation from this secret.'
            : 'Give the user password authentication first, or remove the rotation from this secret.',
      },
    );
  }
}

/** The pending value always has one (createSecret made it); a hand-edited one may not. */
function pendingPassword(pending: AwsUserSecret, ctx: Ctx): string {
  if (!pending.password) {
    throw new SecretFormatError(
      `AWSPENDING of ${ctx.secretName} (version ${ctx.versionId}) has no \`password\``,
      [],
      {
        action: 'Start a new rotation: createSecret generates the password.',
      },
    );
  }
  return pending.password;
}

function notePasswords(ctx: Ctx, api: UserApi, extra: Record<string, string | number | boolean> = {}) {
  ctx.annotate({
    ...Object.fromEntries(Object.entries(api.calls).map(([operation, n]) => [`calls${operation}`, n])),
    ...extra,
  });
}

/**
 * ElastiCache and MemoryDB RBAC users: passwords change through the service API (ACL SETUSER is
 * refused there). A user holds at most two passwords, so setSecret gives it [pending, current] and
 * the oldest goes; both stay valid until the next rotation, so clients on AWSCURRENT or AWSPREVIOUS
 * keep working through it. The change is asynchronous: the user is `modifying` until it reaches
 * every node, and testSecret waits for `active` before proving the password.
 */
export const awsUserStrategy: Strategy<AwsUserSecret> = {
  async create(current, ctx) {
    const target = userTargetOf(current);
    ctx.annotate({ strategy: strategyName(target), user: target.username });
    return { ...current, password: generatePassword(servicePasswordPolicy()) };
  },

  /**
   * Idempotent through a fact kept in Secrets Manager: DescribeUsers shows how many passwords a
   * user has, never which, so a rerun cannot see whether its change was already requested. Once
   * ModifyUser/UpdateUser succeeded, the pending version gets the ROTATION_SET_REQUESTED label; a
   * rerun that finds it asks nothing again (finishSecret takes it off). A crash between the call and
   * the label costs one repeated request once the user is active again, which sets the same two
   * passwords. Testing AUTH instead would need an endpoint, and cannot tell while `modifying`.
   */
  async set(pending, ctx) {
    const prepared = await prepare(pending, ctx);
    if (ctx.versionHasLabel(Stage.SetRequested)) {
      ctx.annotate({ setRequested: 'already, by an earlier attempt' });
      return;
    }
    const { api, target, current } = prepared;
    const user = await api.describe();
    checkUser(user, prepared);
    if (user.status !== 'active') {
      throw new UserNotActiveError(
        `${target.label} is ${user.status}, not active: its passwords cannot change until it is (setSecret)`,
        {
          action:
            'Secrets Manager retries the step; a user stays modifying while a change reaches its clusters.',
        },
      );
    }
    // [pending, current]: the service keeps at most two, so whatever is older than current goes.
    const password = pendingPassword(pending, ctx);
    const passwords = current.password ? [password, current.password] : [password];
    const after = await api.setPasswords(passwords);
    await ctx.labelVersion(Stage.SetRequested);
    notePasswords(ctx, api, { passwordsSet: passwords.length, userStatus: after.status });
  },

  async test(pending, ctx) {
    const prepared = await prepare(pending, ctx);
    const { api, target, lambda } = prepared;
    const redis = redisSettings();
    const endpointReserve = pending.host ? redis.connectTimeoutMs + redis.commandTimeoutMs : 0;
    const { user, polls, waitedMs } = await waitForActive(api, target, lambda, {
      pollMs: awsUserSettings().pollMs,
      reserveMs: AUDIT_RESERVE_MS + endpointReserve,
      doing: 'testSecret',
      deadline: ctx,
    });
    checkUser(user, prepared);
    notePasswords(ctx, api, { userStatus: user.status, passwordCount: user.passwordCount, waitedMs, polls });
    if (!pending.host) {
      ctx.annotate({ proof: 'user active (the secret names no endpoint to AUTH against)' });
      return;
    }
    const port = pending.port ?? DEFAULT_PORT;
    const address = pending.host.includes(':') ? `[${pending.host}]:${port}` : `${pending.host}:${port}`;
    await withSession(
      { host: pending.host, port, address, source: 'host' },
      { username: pending.username, password: pendingPassword(pending, ctx) },
      { tls: pending.tls !== false, settings: redis, deadline: ctx },
      {
        who: `user ${pending.username} with the pending password`,
        rejectedAction: `${target.label} is active but refuses the pending password: check that the endpoint belongs to a cluster whose user group holds the user, then rotate again.`,
        deniedAction: `Grant user ${pending.username} +ping, or check its access string.`,
      },
      (session) => provePing(session, ctx),
    );
    ctx.annotate({ proof: `AUTH and PING at ${address}` });
  },

  /**
   * Nothing on the target: both passwords stay valid until the next rotation drops the older. The
   * ROTATION_SET_REQUESTED label has served (testSecret proved the change) and leaves the version
   * before it is promoted, so a finished rotation leaves only the service's labels.
   */
  async finish(pending, ctx) {
    const target = userTargetOf(pending);
    await ctx.unlabelVersion(Stage.SetRequested);
    ctx.annotate({ strategy: strategyName(target), user: target.username, target: 'unchanged' });
  },

  /** Emergency: the current password only, so the previous one stops working once the user is active. */
  async revoke(previous, ctx) {
    const current = await ctx.current();
    if (previous.user_arn !== current.user_arn) {
      throw new UserNotRotatableError(
        `AWSPREVIOUS of ${ctx.secretName} names another user (${previous.user_arn}) than AWSCURRENT (${current.user_arn}): revoking here would not disable it`,
        { action: "Change that user's passwords by hand (ModifyUser / UpdateUser)." },
      );
    }
    if (!current.password || previous.password === current.password) {
      throw new RotationError(
        `AWSCURRENT of ${ctx.secretName} ${current.password ? 'holds the same password as AWSPREVIOUS' : 'has no password'}: revoking would lock out the current credential`,
        { action: 'Rotate the secret first, then revoke the previous password.' },
      );
    }
    const prepared = await prepare(current, ctx);
    const { api, target, lambda } = prepared;
    const pollMs = awsUserSettings().pollMs;
    const before = await waitForActive(api, target, lambda, {
      pollMs,
      reserveMs: AUDIT_RESERVE_MS + awsUserSettings().apiTimeoutMs,
      doing: 'revokePrevious (before the change)',
      deadline: ctx,
    });
    checkUser(before.user, prepared);
    await api.setPasswords([current.password]);
    // Wait for the change to land, so the audit line can say the previous password is refused now.
    const after = await waitForActive(api, target, lambda, {
      pollMs,
      reserveMs: AUDIT_RESERVE_MS,
      doing: 'revokePrevious (after the change)',
      deadline: ctx,
    });
    notePasswords(ctx, api, { passwordsSet: 1, passwordCount: after.user.passwordCount });
  },
};
