import type { Rotator } from '../../shared/rotation/rotator';
import { revokeAlternating, setAlternating, testAlternating } from './alternating-users';
import { newPassword } from './roles';
import { parsePostgresSecret, type PostgresSecret } from './secret';
import { revokeSingleUser, setSingleUser, testSingleUser } from './single-user';
import { alternateOf } from './usernames';

/**
 * PostgreSQL passwords, in the RDS secret format. `masterarn` present: alternating users (zero
 * downtime); absent: the role changes its own password. Either way the new password reaches the
 * server only as a SCRAM-SHA-256 verifier.
 */
export const postgresRotator: Rotator<PostgresSecret> = {
  kind: 'postgres',
  parse: parsePostgresSecret,

  async create(current, ctx) {
    if (current.masterarn) {
      const username = alternateOf(current.username);
      ctx.annotate({ strategy: 'alternating-users', role: username });
      return { ...current, username, password: newPassword() };
    }
    ctx.annotate({ strategy: 'single-user', role: current.username });
    return { ...current, password: newPassword() };
  },

  set: (pending, ctx) => (pending.masterarn ? setAlternating(pending, ctx) : setSingleUser(pending, ctx)),

  test: (pending, ctx) => (pending.masterarn ? testAlternating(pending, ctx) : testSingleUser(pending, ctx)),

  async revoke(previous, ctx) {
    const current = await ctx.current();
    return current.masterarn ? revokeAlternating(previous, ctx) : revokeSingleUser(previous, ctx);
  },
};
