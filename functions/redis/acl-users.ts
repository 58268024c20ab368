import { generatePassword, passwordPolicyFromEnv } from '../../shared/credentials/password';
import { RotationError, TargetError } from '../../shared/errors';
import type { RotationContext } from '../../shared/rotation/rotator';
import { addPasswordHash, passwordHash, passwordHashesOf, removePasswordHashes } from './acl';
import { type Actor, actorFor, asActor } from './actor';
import { type RedisSession, type TransportOptions, withSession } from './connection';
import { refuseToLockOutDefault } from './default-user';
import { nodeLabel } from './errors';
import { persistAcl, type Persistence } from './persist';
import { provePing } from './ping';
import { nodesOf, type RedisNode, type RedisSecret } from './secret';
import type { Strategy } from './strategy';
import { redisSettings } from './settings';

type Ctx = RotationContext<RedisSecret>;

function transportFor(secret: RedisSecret, ctx: Ctx): TransportOptions {
  return { tls: secret.tls !== false, settings: redisSettings(), deadline: ctx };
}

/**
 * Apply the same ACL change on every node, one after the other (primary first), then persist it
 * on each. Sequential on purpose: the first failing node stops the step with its name, and the
 * retry redoes the nodes already done as no-ops.
 */
async function onEveryNode(
  secret: RedisSecret,
  actor: Actor,
  ctx: Ctx,
  change: (session: RedisSession) => Promise<void>,
): Promise<void> {
  const transport = transportFor(secret, ctx);
  const nodes = nodesOf(secret);
  const persistence: Record<Persistence, string[]> = { 'acl-file': [], 'memory-only': [] };
  for (const node of nodes) {
    await asActor(node, actor, transport, async (session) => {
      await change(session);
      persistence[await persistAcl(session)].push(node.address);
    });
  }
  ctx.annotate({
    user: secret.username,
    actor: secret.adminarn ? 'admin' : 'self',
    nodes: nodes.map((node) => node.address).join(','),
    ...(persistence['acl-file'].length ? { aclSaved: persistence['acl-file'].join(',') } : {}),
    ...(persistence['memory-only'].length ? { aclInMemoryOnly: persistence['memory-only'].join(',') } : {}),
  });
  if (persistence['memory-only'].length) {
    ctx.logger.warn(
      `Redis node(s) ${persistence['memory-only'].join(', ')} load no ACL file: the password change for user ${secret.username} lives in memory until they restart`,
      {
        action:
          'Run the servers with an aclfile (then ACL SAVE persists every rotation), or persist users in the config file yourself.',
      },
    );
  }
}

/**
 * Redis 6+ ACL users hold several passwords, which is what makes the rotation seamless: the
 * pending password is added next to the current one (setSecret), proven on every node (testSecret),
 * and only then is everything older than the current one retired (finishSecret), so a client still
 * holding AWSCURRENT keeps working through the rotation and the one after it.
 */
export const aclUserStrategy: Strategy<RedisSecret> = {
  async create(current) {
    return { ...current, password: generatePassword(passwordPolicyFromEnv()) };
  },

  async set(pending, ctx) {
    const actor = await actorFor(pending, ctx, async () => ({ current: await ctx.current(), pending }));
    await refuseToLockOutDefault(pending, actor, transportFor(pending, ctx), ctx);
    const hash = passwordHash(pending.password);
    let added = 0;
    await onEveryNode(pending, actor, ctx, async (session) => {
      if ((await passwordHashesOf(session, pending.username)).includes(hash)) return;
      await addPasswordHash(session, pending.username, hash);
      added++;
    });
    ctx.annotate({ nodesChanged: added });
  },

  async test(pending, ctx) {
    const transport = transportFor(pending, ctx);
    const context = {
      who: `user ${pending.username} with the pending password`,
      rejectedAction: 'setSecret did not give this node the pending password: run the rotation again.',
      deniedAction: `Grant user ${pending.username} +ping, or check its ACL.`,
    };
    for (const node of nodesOf(pending)) {
      await withSession(node, pending, transport, context, (session) => provePing(session, ctx));
    }
  },

  async finish(pending, ctx) {
    const current = await ctx.current();
    const pendingHash = passwordHash(pending.password);
    // The current password is about to become AWSPREVIOUS, which clients may still hold.
    const keep = new Set([pendingHash]);
    if (current.username === pending.username) keep.add(passwordHash(current.password));
    const actor = await actorFor(pending, ctx, async () => ({ pending, current }));
    await refuseToLockOutDefault(pending, actor, transportFor(pending, ctx), ctx);
    let retired = 0;
    await onEveryNode(pending, actor, ctx, async (session) => {
      const hashes = await passwordHashesOf(session, pending.username);
      // Promoting a password a node does not accept would lock every client out of that node.
      if (!hashes.includes(pendingHash)) throw pendingMissing(session.node, pending.username);
      const retire = hashes.filter((hash) => !keep.has(hash));
      await removePasswordHashes(session, pending.username, retire);
      retired += retire.length;
    });
    ctx.annotate({ passwordsRetired: retired });
  },

  async revoke(previous, ctx) {
    const current = await ctx.current();
    const previousHash = passwordHash(previous.password);
    if (previous.username === current.username && previousHash === passwordHash(current.password)) {
      throw new RotationError(
        `AWSPREVIOUS and AWSCURRENT of ${ctx.secretName} hold the same password: revoking it would lock out the current credential`,
        { action: 'Rotate the secret first, then revoke the previous password.' },
      );
    }
    const actor = await actorFor(current, ctx, async () => ({ current }));
    let removed = 0;
    await onEveryNode(current, actor, ctx, async (session) => {
      if (!(await passwordHashesOf(session, previous.username)).includes(previousHash)) return;
      await removePasswordHashes(session, previous.username, [previousHash]);
      removed++;
    });
    ctx.annotate({ nodesChanged: removed });
  },
};

function pendingMissing(node: RedisNode, username: string): TargetError {
  return new TargetError(
    `${nodeLabel(node)} does not hold the pending password of user ${username}: refusing to retire the others and promote it`,
    {
      action:
        'Something removed it after testSecret. Cancel this rotation (or rerun setSecret) and start a new one.',
    },
  );
}
