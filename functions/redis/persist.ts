import { PermissionDeniedError, TargetError } from '../../shared/errors';
import type { RedisSession } from './connection';

/** Where an ACL change now lives on a node. */
export type Persistence = 'acl-file' | 'memory-only';

/**
 * The node's ACL file path, '' when it has none, undefined when the actor may not ask (CONFIG is
 * an admin command an application user rarely holds).
 */
async function aclFileOf(session: RedisSession): Promise<string | undefined> {
  let reply: unknown;
  try {
    reply = await session.call('checking whether the node uses an ACL file', 'CONFIG', 'GET', 'aclfile');
  } catch (error) {
    if (error instanceof PermissionDeniedError) return undefined;
    throw error;
  }
  if (Array.isArray(reply)) return typeof reply[1] === 'string' ? reply[1] : '';
  if (reply && typeof reply === 'object') {
    const value = (reply as Record<string, unknown>).aclfile;
    return typeof value === 'string' ? value : '';
  }
  return '';
}

/**
 * Make an ACL change survive a restart. A node that loads its users from an ACL file would, after a
 * restart, load the old passwords back: `ACL SAVE` writes the file (hashes only, never plaintext).
 * A node without one keeps the change in memory until it restarts; the caller logs that.
 * Runs even when nothing changed, so a step that crashed between the change and the save, then
 * retried, still saves.
 */
export async function persistAcl(session: RedisSession): Promise<Persistence> {
  if ((await aclFileOf(session)) === '') return 'memory-only';
  try {
    await session.call('saving the ACL file (ACL SAVE)', 'ACL', 'SAVE');
    return 'acl-file';
  } catch (error) {
    if (error instanceof TargetError && /not configured to use an ACL file/i.test(error.message)) {
      return 'memory-only';
    }
    throw error;
  }
}
