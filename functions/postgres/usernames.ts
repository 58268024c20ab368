import { SecretFormatError } from '../../shared/errors';
import { MAX_IDENTIFIER_BYTES } from './secret';

/** The suffix AWS's multi-user functions use, so secrets they rotated keep alternating the same way. */
const CLONE_SUFFIX = '_clone';

export interface UserPair {
  /** The original role: owns the application's objects. */
  base: string;
  /** The role created for alternation; its sessions act as `base`. */
  clone: string;
}

/**
 * The two roles a secret alternates between. A name is never truncated to fit: `name_clone` cut to
 * 63 bytes would not turn back into `name` on the next rotation, so a base name too long to take the
 * suffix is refused outright.
 */
export function userPair(username: string): UserPair {
  if (username.endsWith(CLONE_SUFFIX) && username.length > CLONE_SUFFIX.length) {
    return { base: username.slice(0, -CLONE_SUFFIX.length), clone: username };
  }
  const clone = `${username}${CLONE_SUFFIX}`;
  if (Buffer.byteLength(clone, 'utf8') > MAX_IDENTIFIER_BYTES) {
    const limit = MAX_IDENTIFIER_BYTES - CLONE_SUFFIX.length;
    const problem = `\`username\` is too long for alternating users: with "${CLONE_SUFFIX}" it would exceed PostgreSQL's ${MAX_IDENTIFIER_BYTES}-byte limit (at most ${limit} bytes)`;
    throw new SecretFormatError(problem, [problem], {
      action: `Use an application role name of at most ${limit} bytes, or rotate this secret as a single user (remove masterarn).`,
    });
  }
  return { base: username, clone };
}

/** The role the next rotation sets a password for: the one not in use now. */
export function alternateOf(username: string): string {
  const pair = userPair(username);
  return username === pair.base ? pair.clone : pair.base;
}
