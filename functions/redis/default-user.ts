import type { RotationContext } from '../../shared/rotation/rotator';
import { aclUserOf, passwordHash } from './acl';
import { type Actor, asActor } from './actor';
import type { TransportOptions } from './connection';
import { AclUserNotRotatableError, nodeLabel } from './errors';
import { nodesOf, type RedisSecret } from './secret';

const DEFAULT_USER = 'default';

/** The hashes of every password this secret has held for `default` (current, previous, pending, abandoned). */
async function passwordsOfThisSecret(
  pending: RedisSecret,
  ctx: RotationContext<RedisSecret>,
): Promise<Set<string>> {
  const versions = [pending, await ctx.current(), await ctx.previous(), await ctx.abandoned()];
  return new Set(
    versions
      .filter((value): value is RedisSecret => value?.username === DEFAULT_USER)
      .map((value) => passwordHash(value.password)),
  );
}

/**
 * `default` is the user of every client that connects without naming one. Rotating it is refused,
 * on every node and before any change, where it would lock such clients out:
 * - `nopass`: clients log in with no password at all; adding one removes the flag;
 * - a password this secret never held: another client's (requirepass set by hand, a second
 *   application), which finishSecret would remove with the older ones.
 * The PostgreSQL function refuses superusers and the master user the same way.
 */
export async function refuseToLockOutDefault(
  pending: RedisSecret,
  actor: Actor,
  transport: TransportOptions,
  ctx: RotationContext<RedisSecret>,
): Promise<void> {
  if (pending.username !== DEFAULT_USER) return;
  const known = await passwordsOfThisSecret(pending, ctx);
  for (const node of nodesOf(pending)) {
    const user = await asActor(node, actor, transport, (session) => aclUserOf(session, DEFAULT_USER));
    if (user.flags.includes('nopass')) {
      throw new AclUserNotRotatableError(
        `the default user has nopass on ${nodeLabel(node)}: giving it a password would lock out every client that connects without one; refused`,
        {
          action:
            'Give the clients a named ACL user and rotate that user, or set a password on default by hand (ACL SETUSER default resetpass >...) and store it in the secret first.',
        },
      );
    }
    const foreign = user.passwordHashes.filter((hash) => !known.has(hash));
    if (foreign.length > 0) {
      throw new AclUserNotRotatableError(
        `the default user on ${nodeLabel(node)} holds ${foreign.length} password(s) this secret never held: other clients may log in with them, and finishing the rotation would remove them; refused`,
        {
          action:
            'Move those clients to named ACL users (or to this secret), remove the other passwords from default by hand, then start a new rotation.',
        },
      );
    }
  }
}
