import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { rememberSecret } from '../../shared/observability/redaction';
import { TargetError } from '../../shared/errors';
import type { RedisSession } from './connection';
import { nodeLabel } from './errors';

/**
 * Passwords travel to Redis only as SHA-256 hashes (`#<hex>` to add, `!<hex>` to remove): the
 * plaintext never reaches MONITOR, the slow log, the ACL file or a replica's logs. Redis itself
 * stores and compares these hashes, so the user authenticates with the plaintext as usual.
 */
export function passwordHash(password: string): string {
  const hash = createHash('sha256').update(password, 'utf8').digest('hex');
  // Not the password, but one step from it: keep it out of logs too.
  rememberSecret(hash);
  return hash;
}

const HashList = z.array(z.string().check(z.regex(/^[0-9a-f]{64}$/)));

const FlagList = z.array(z.string());

/**
 * `ACL GETUSER` answers a map (RESP3) or a flat [key, value, ...] list (RESP2, or RESP3 in ioredis'
 * legacy mapping); the `passwords` entry lists the hashes, `flags` the user's flags (`on`, `nopass`).
 */
function fieldOf(reply: unknown, name: string): unknown {
  if (Array.isArray(reply)) {
    const index = reply.indexOf(name);
    return index >= 0 && index % 2 === 0 ? reply[index + 1] : undefined;
  }
  if (reply && typeof reply === 'object') return (reply as Record<string, unknown>)[name];
  return undefined;
}

/** What a node says about one ACL user: its flags and the hashes of its passwords. */
export interface AclUser {
  flags: string[];
  passwordHashes: string[];
}

/** The password hashes a user holds on this node. */
export async function passwordHashesOf(session: RedisSession, username: string): Promise<string[]> {
  return (await aclUserOf(session, username)).passwordHashes;
}

/** A user's flags and password hashes on this node. */
export async function aclUserOf(session: RedisSession, username: string): Promise<AclUser> {
  const reply = await session.call(`reading the ACL of user ${username}`, 'ACL', 'GETUSER', username);
  if (reply === null) {
    throw new TargetError(`${nodeLabel(session.node)} has no ACL user ${username}`, {
      action: `Create the user on every node (ACL SETUSER ${username} on ...), or fix \`username\` in the secret.`,
    });
  }
  const parsed = HashList.safeParse(fieldOf(reply, 'passwords'));
  if (!parsed.success) {
    throw new TargetError(
      `${nodeLabel(session.node)} answered ACL GETUSER ${username} without a list of password hashes`,
    );
  }
  const flags = FlagList.safeParse(fieldOf(reply, 'flags'));
  return { flags: flags.success ? flags.data : [], passwordHashes: parsed.data };
}

/** Give the user one more password, by hash. Its other passwords keep working. */
export async function addPasswordHash(session: RedisSession, username: string, hash: string): Promise<void> {
  await session.call(
    `adding the pending password of user ${username}`,
    'ACL',
    'SETUSER',
    username,
    `#${hash}`,
  );
}

/**
 * Remove passwords by hash, in one ACL SETUSER (atomic on the node). Pass only hashes the node
 * reported: Redis refuses to remove one the user does not hold.
 */
export async function removePasswordHashes(
  session: RedisSession,
  username: string,
  hashes: readonly string[],
): Promise<void> {
  if (hashes.length === 0) return;
  await session.call(
    `removing ${hashes.length} password(s) of user ${username}`,
    'ACL',
    'SETUSER',
    username,
    ...hashes.map((hash) => `!${hash}`),
  );
}
