import { TargetError } from '../../shared/errors';
import type { RotationContext } from '../../shared/rotation/rotator';
import { syncClone } from './clone';
import { accepts, type Connection, inTransaction, type Login, withConnection } from './connection';
import { lostRoleRace, PendingMismatchError, RoleStateError } from './errors';
import { masterAccess } from './master';
import {
  type RoleFacts,
  roleFacts,
  setPasswordSql,
  terminateSessions,
  unknowableVerifier,
  verifierFor,
} from './roles';
import { describeEndpoint, endpointOf, loginOf, type PostgresSecret } from './secret';
import { alternateOf, userPair } from './usernames';

/**
 * Alternating users: each rotation sets a new password on the role NOT in use (`app` or
 * `app_clone`), through the admin credential, so the role clients use keeps working throughout and
 * after the rotation. See clone.ts for how both roles share ownership of everything.
 */

type Ctx = RotationContext<PostgresSecret>;

const quoted = (name: string) => JSON.stringify(name);

function refuseUnsafeTarget(role: RoleFacts | undefined, masterUser: string): void {
  if (!role) return;
  if (role.superuser) {
    throw new RoleStateError(
      `role ${quoted(role.name)} is a superuser; this function does not rotate superuser passwords with an admin credential`,
      {
        action:
          'Rotate superusers with the single-user strategy, or make the application role a non-superuser.',
      },
    );
  }
  if (role.name === masterUser) {
    throw new RoleStateError(`role ${quoted(role.name)} is the master user itself`, {
      action: 'The application secret must name an application role, not the admin.',
    });
  }
}

/** Run `body` on a connection as the master user; its failures name the master, the host and `doing`. */
async function withMaster<T>(
  secret: PostgresSecret,
  ctx: Ctx,
  doing: string,
  body: (connection: Connection, masterUser: string) => Promise<T>,
): Promise<T> {
  const master = await masterAccess(secret, ctx);
  return withConnection(
    {
      endpoint: master.endpoint,
      login: master.login,
      who: `the master user ${quoted(master.login.username)}`,
      doing,
      deadline: ctx,
    },
    (connection) => body(connection, master.login.username),
  );
}

export async function setAlternating(pending: PostgresSecret, ctx: Ctx): Promise<void> {
  const current = await ctx.current();
  const expected = alternateOf(current.username);
  if (pending.username !== expected || pending.host !== current.host) {
    throw new PendingMismatchError(
      `the AWSPENDING value names role ${quoted(pending.username)} at ${pending.host}; after ${quoted(current.username)} at ${current.host} it must be ${quoted(expected)} on the same host`,
      {
        action:
          'Cancel this rotation (remove AWSPENDING) and start a new one; do not edit AWSPENDING by hand.',
      },
    );
  }
  const verifier = verifierFor(pending.password);
  ctx.annotate({ strategy: 'alternating-users', role: pending.username });
  await withMaster(
    pending,
    ctx,
    `set the password of role ${quoted(pending.username)}`,
    async (connection, masterUser) => {
      try {
        await applyPassword(connection, pending, verifier, masterUser, ctx);
      } catch (error) {
        // A concurrent invocation (a duplicate setSecret, a second first rotation) created the
        // clone between our look and our CREATE ROLE. The transaction rolled back; run it again,
        // and this time it finds the role and takes the already-exists path.
        if (!lostRoleRace(error)) throw error;
        ctx.annotate({ concurrentRoleChange: true });
        await applyPassword(connection, pending, verifier, masterUser, ctx);
      }
    },
  );
}

/**
 * Give the pending role its new password, creating or repairing the clone, in one transaction: a
 * crash half way never leaves a clone without its membership or settings.
 */
function applyPassword(
  connection: Connection,
  pending: PostgresSecret,
  verifier: string,
  masterUser: string,
  ctx: Ctx,
): Promise<void> {
  const pair = userPair(pending.username);
  return inTransaction(connection, async () => {
    const facts = await roleFacts(connection, [pair.base, pair.clone]);
    const base = facts.get(pair.base);
    if (!base) {
      throw new RoleStateError(
        `role ${quoted(pair.base)} does not exist at ${describeEndpoint(endpointOf(pending))}`,
        {
          action:
            'The alternating strategy needs the original application role; restore it or fix `username`.',
        },
      );
    }
    refuseUnsafeTarget(base, masterUser);
    refuseUnsafeTarget(facts.get(pair.clone), masterUser);
    if (pending.username === pair.base) {
      await connection.query(setPasswordSql(connection, pair.base, verifier));
      return;
    }
    const sync = await syncClone(connection, base, pair.clone, facts.get(pair.clone), verifier);
    ctx.annotate({ cloneCreated: sync.created });
    if (sync.settingsNotCopied.length > 0) {
      ctx.annotate({ settingsNotCopied: sync.settingsNotCopied.join(', ') });
      ctx.logger.warn(
        `role settings of ${quoted(pair.base)} the master may not copy to ${quoted(pair.clone)}`,
        { settingsNotCopied: sync.settingsNotCopied },
      );
    }
  });
}

/**
 * Log in as the pending role and check who the server thinks we are: the clone's sessions must act
 * as the original role (current_user), or tables it creates would be owned by it alone.
 */
export async function testAlternating(pending: PostgresSecret, ctx: Ctx): Promise<void> {
  const endpoint = endpointOf(pending);
  const login: Login = loginOf(pending, 'AWSPENDING');
  const doing = 'check which role the pending credential logs in as';
  const who = await withConnection({ endpoint, login, doing, deadline: ctx }, async (connection) => {
    const result = await connection.query<{ session_user: string; current_user: string }>(
      'SELECT session_user, current_user',
    );
    return result.rows[0];
  });
  if (who?.session_user !== pending.username) {
    throw new TargetError(
      `logged in at ${describeEndpoint(endpoint)} as ${quoted(who?.session_user ?? '')} instead of ${quoted(pending.username)}`,
    );
  }
  const pair = userPair(pending.username);
  if (pending.username === pair.clone && who.current_user === pair.clone) {
    throw new RoleStateError(
      `sessions of ${quoted(pair.clone)} do not act as ${quoted(pair.base)} (its role default is missing or it lost the membership): objects it creates would be owned by it alone`,
      { action: 'Run the rotation again (setSecret restores both), or check who altered the role.' },
    );
  }
  ctx.annotate({ strategy: 'alternating-users', role: pending.username, actsAs: who.current_user });
}

/**
 * Emergency revoke: the AWSPREVIOUS role gets a password nobody knows, and its open sessions are
 * ended, so the leaked credential stops working now. The next rotation gives it a known one again.
 */
export async function revokeAlternating(previous: PostgresSecret, ctx: Ctx): Promise<void> {
  const current = await ctx.current();
  if (previous.username === current.username) {
    throw new TargetError(
      `AWSPREVIOUS and AWSCURRENT both name role ${quoted(current.username)}: revoking the previous one would lock out every client`,
      { action: 'Rotate the secret first (it switches to the other role), then revoke.' },
    );
  }
  const pair = userPair(current.username);
  if (previous.username !== pair.base && previous.username !== pair.clone) {
    throw new RoleStateError(
      `AWSPREVIOUS names role ${quoted(previous.username)}, which is not ${quoted(pair.base)} or ${quoted(pair.clone)}; refusing to change it with the admin credential`,
    );
  }
  ctx.annotate({ strategy: 'alternating-users', role: previous.username });
  const sessions = await withMaster(
    current,
    ctx,
    `revoke role ${quoted(previous.username)}`,
    async (connection, masterUser) => {
      const role = (await roleFacts(connection, [previous.username])).get(previous.username);
      if (!role) return undefined;
      refuseUnsafeTarget(role, masterUser);
      await connection.query(setPasswordSql(connection, previous.username, unknowableVerifier()));
      // Only once the new password is in force are open sessions ended: they cannot log back in.
      return terminateSessions(connection, previous.username);
    },
  );
  if (sessions === undefined) {
    ctx.annotate({ roleMissing: true });
    return;
  }
  if (await accepts(endpointOf(previous), loginOf(previous, 'AWSPREVIOUS'), ctx)) {
    throw new TargetError(
      `the server still accepts the AWSPREVIOUS password of role ${quoted(previous.username)}`,
    );
  }
  ctx.annotate({ sessionsTerminated: sessions.terminated, sessionsNotTerminated: sessions.refused });
  if (sessions.refused > 0) {
    ctx.logger.warn(
      `the master may not end ${sessions.refused} open session(s) of ${quoted(previous.username)}`,
      {
        action:
          'Grant the admin pg_signal_backend, or end them by hand: they stay logged in until they disconnect.',
      },
    );
  }
}
