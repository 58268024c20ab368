import type { RotationContext } from '../../shared/rotation/rotator';
import { CredentialRejectedError } from '../../shared/errors';
import { readOtherSecretAs } from '../../shared/rotation/other-secret';
import { type RedisSession, type SessionContext, withSession, type TransportOptions } from './connection';
import { nodeLabel } from './errors';
import { type Credential, parseAdminSecret, type RedisNode, type RedisSecret } from './secret';

/** A credential that may make the ACL change, with a name for error messages. */
interface Candidate {
  credential: Credential;
  /** "its current password", "the admin credential" */
  label: string;
}

/**
 * Who makes the ACL changes: the admin credential from `adminarn` when the secret names one (the
 * recommended setup: an application user should not hold +acl), otherwise the user itself. Acting
 * as itself, the user may hold either of two passwords depending on how far an earlier attempt got,
 * so several candidates are tried in order; only a refused password moves on to the next.
 */
export interface Actor {
  candidates: Candidate[];
  context: SessionContext;
}

type SelfPassword = 'current' | 'pending';

export async function actorFor(
  secret: RedisSecret,
  ctx: RotationContext<RedisSecret>,
  /** The user's own passwords to try, in order; only read when there is no admin secret. */
  selfPasswords: () => Promise<Partial<Record<SelfPassword, RedisSecret>>>,
): Promise<Actor> {
  if (secret.adminarn) {
    const admin = await readOtherSecretAs(
      ctx,
      { key: 'adminarn', secretId: secret.adminarn, purpose: 'Redis admin secret' },
      parseAdminSecret,
      'Fix the secret named by `adminarn`: it needs `password` and usually `username` of an ACL admin user.',
    );
    return {
      candidates: [{ credential: admin, label: 'the admin credential' }],
      context: {
        who: `admin user ${admin.username} (from adminarn ${secret.adminarn})`,
        rejectedAction:
          'The admin secret does not match the node: fix its password (on the node or in the secret), then retry the rotation.',
        deniedAction: `Grant the admin user the ACL commands (+acl, or +@admin) on every node, or point adminarn at a secret of a user that has them.`,
      },
    };
  }
  const candidates = Object.entries(await selfPasswords()).map(([which, value]) => ({
    credential: { username: value.username, password: value.password },
    label: `its ${which} password`,
  }));
  return {
    candidates,
    context: {
      who: `user ${secret.username}`,
      rejectedAction: `The secret no longer matches the server: reset user ${secret.username}'s password to the AWSCURRENT value on every node, then retry the rotation.`,
      deniedAction: `Set \`adminarn\` in the secret to a secret holding an ACL admin credential (recommended: an application user should not hold +acl), or grant user ${secret.username} +acl.`,
    },
  };
}

/** Connect to a node as the actor, trying each candidate credential, and run `work`. */
export async function asActor<T>(
  node: RedisNode,
  actor: Actor,
  transport: TransportOptions,
  work: (session: RedisSession) => Promise<T>,
): Promise<T> {
  let rejected: CredentialRejectedError | undefined;
  for (const candidate of actor.candidates) {
    try {
      return await withSession(node, candidate.credential, transport, actor.context, work);
    } catch (error) {
      if (!(error instanceof CredentialRejectedError)) throw error;
      rejected = error;
    }
  }
  if (rejected && actor.candidates.length > 1) {
    const tried = actor.candidates.map((candidate) => candidate.label).join(' and with ');
    throw new CredentialRejectedError(
      `${nodeLabel(node)} rejected ${actor.context.who} with ${tried} (WRONGPASS)`,
      { action: actor.context.rejectedAction },
    );
  }
  throw rejected ?? new CredentialRejectedError(`no credential to act on ${nodeLabel(node)}`);
}
