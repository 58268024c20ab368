import type { RotationContext } from '../../shared/rotation/rotator';
import { AdminHostMismatchError, CredentialRejectedError } from '../../shared/errors';
import {
  ADMIN_WITHOUT_HOST_VARIABLE,
  adminSecretWithoutHostAllowed,
  readOtherSecretAs,
} from '../../shared/rotation/other-secret';
import { type RedisSession, type SessionContext, withSession, type TransportOptions } from './connection';
import { AclUserNotRotatableError, nodeLabel, NodesMismatchError } from './errors';
import {
  type Credential,
  nodesOf,
  nodesOutside,
  parseAdminSecret,
  type RedisNode,
  type RedisSecret,
} from './secret';

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

const listed = (nodes: readonly RedisNode[]) => nodes.map((node) => node.address).join(', ');

/**
 * The admin credential, refused before any connection when it may not act for `secret`: the user
 * being rotated is the admin itself (rotating it with its own credential would retire the password
 * the admin secret holds), or one of the secret's nodes is not a server the admin secret names.
 */
async function adminFor(secret: RedisSecret, adminarn: string, ctx: RotationContext<RedisSecret>) {
  const admin = await readOtherSecretAs(
    ctx,
    { key: 'adminarn', secretId: adminarn, purpose: 'Redis admin secret' },
    parseAdminSecret,
    'Fix the secret named by `adminarn`: it needs `password`, `host` (and `port`, `nodes`) of its servers and usually `username` of an ACL admin user.',
  );
  if (admin.username === secret.username) {
    throw new AclUserNotRotatableError(
      `secret ${ctx.secretName} names user ${secret.username}, the admin secret's own user (adminarn ${adminarn}); refused: this function does not rotate the admin with itself`,
      {
        action:
          'Rotate the admin user with a secret of its own that has no adminarn (it changes its own password), and point application secrets at an application user.',
      },
    );
  }
  const nodes = nodesOf(secret);
  if (admin.nodes === undefined) {
    if (adminSecretWithoutHostAllowed()) return admin;
    throw new AdminHostMismatchError(
      `the Redis admin secret ${adminarn} names no host, so nothing says ${listed(nodes)} (from secret ${ctx.secretName}) are its servers; refused to send the admin credential there`,
      {
        action: `Add "host" and "port" (and "nodes", for replicas and other shards) of its servers to the admin secret. To trust every user secret's nodes instead, set ${ADMIN_WITHOUT_HOST_VARIABLE}=true on the function (template parameter AllowAdminSecretWithoutHost).`,
      },
    );
  }
  const outside = nodesOutside(nodes, admin.nodes);
  if (outside.length > 0) {
    throw new AdminHostMismatchError(
      `secret ${ctx.secretName} lists ${listed(outside)}, which the Redis admin secret ${adminarn} does not name (it names ${listed(admin.nodes)}); refused to send the admin credential there`,
      {
        action:
          'Add the node to the admin secret (`host`/`nodes`) if it is one of its servers, or fix `host`/`nodes` in the user secret.',
      },
    );
  }
  return admin;
}

export async function actorFor(
  secret: RedisSecret,
  ctx: RotationContext<RedisSecret>,
  /** The user's own passwords to try, in order; only read when there is no admin secret. */
  selfPasswords: () => Promise<Partial<Record<SelfPassword, RedisSecret>>>,
): Promise<Actor> {
  if (secret.adminarn) {
    const admin = await adminFor(secret, secret.adminarn, ctx);
    return {
      candidates: [
        { credential: { username: admin.username, password: admin.password }, label: 'the admin credential' },
      ],
      context: {
        who: `admin user ${admin.username} (from adminarn ${secret.adminarn})`,
        rejectedAction:
          'The admin secret does not match the node: fix its password (on the node or in the secret), then retry the rotation.',
        deniedAction: `Grant the admin user the ACL commands (+acl, or +@admin) on every node, or point adminarn at a secret of a user that has them.`,
      },
    };
  }
  const own = Object.entries(await selfPasswords());
  // Each version's password goes only to the nodes that version names: a version edited to list
  // another server must not make the step send the other version's password there.
  const nodes = nodesOf(secret);
  for (const [which, value] of own) {
    const outside = nodesOutside(nodes, nodesOf(value));
    if (outside.length > 0) {
      throw new NodesMismatchError(
        `the ${which === 'current' ? 'AWSCURRENT' : 'AWSPENDING'} value of ${ctx.secretName} does not list ${listed(outside)}; refused to send its password there`,
        {
          action:
            'Keep `host` and `nodes` the same in every version: cancel this rotation (remove AWSPENDING), fix AWSCURRENT, and start a new one.',
        },
      );
    }
  }
  const candidates = own.map(([which, value]) => ({
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
