import { TargetError } from '../../shared/errors';
import type { RotationContext } from '../../shared/rotation/rotator';
import {
  accepts,
  type Connection,
  type Login,
  runStatements,
  tryConnect,
  withConnection,
} from './connection';
import { PasswordRejectedError, PendingMismatchError } from './errors';
import { setPasswordSql, unknowableVerifier, verifierFor } from './roles';
import { describeEndpoint, endpointOf, loginOf, type PostgresSecret } from './secret';

/**
 * Single user: the role changes its own password (any role may), logged in with whichever of the
 * secret's passwords the server still accepts. Clients holding the old password fail from setSecret
 * until they re-read the secret: use alternating users where that window matters.
 */

type Ctx = RotationContext<PostgresSecret>;

const login = (secret: PostgresSecret, credential: string): Login => loginOf(secret, credential);

/** As the role itself (logged in with `login`), set its password to `verifier`; ends the connection. */
async function setOwnPassword(
  connection: Connection,
  secret: PostgresSecret,
  login: Login,
  verifier: string,
  ctx: Ctx,
): Promise<void> {
  const statements = {
    endpoint: endpointOf(secret),
    login,
    who: `role ${JSON.stringify(login.username)}`,
    doing: 'change its own password',
    deadline: ctx,
  };
  try {
    await runStatements(connection, statements, (c) => c.query(setPasswordSql(c, login.username, verifier)));
  } finally {
    await connection.end().catch(() => undefined);
  }
}

export async function setSingleUser(pending: PostgresSecret, ctx: Ctx): Promise<void> {
  const current = await ctx.current();
  if (pending.username !== current.username || pending.host !== current.host) {
    throw new PendingMismatchError(
      `the AWSPENDING value names role ${JSON.stringify(pending.username)} at ${pending.host}, but AWSCURRENT names ${JSON.stringify(current.username)} at ${current.host}; a single-user rotation changes one role on one host`,
      {
        action:
          'Cancel this rotation (remove AWSPENDING) and start a new one; do not edit AWSPENDING by hand.',
      },
    );
  }
  const endpoint = endpointOf(pending);
  ctx.annotate({ strategy: 'single-user', role: pending.username });

  const already = await tryConnect(endpoint, login(pending, 'AWSPENDING'), ctx);
  if (already) {
    await already.end().catch(() => undefined);
    ctx.annotate({ loggedInWith: 'AWSPENDING', passwordChanged: false });
    return;
  }
  const sameRole = (secret: PostgresSecret | undefined): secret is PostgresSecret =>
    secret !== undefined && secret.username === pending.username && secret.host === pending.host;
  const candidates: [PostgresSecret, string][] = [[current, 'AWSCURRENT']];
  const previous = await ctx.previous();
  if (sameRole(previous)) candidates.push([previous, 'AWSPREVIOUS']);
  // An emergency rotation may have abandoned a rotation whose setSecret already set its password.
  const abandoned = await ctx.abandoned();
  if (sameRole(abandoned)) candidates.push([abandoned, 'ROTATION_ABANDONED']);
  for (const [secret, stage] of candidates) {
    const connection = await tryConnect(endpoint, login(secret, stage), ctx);
    if (!connection) continue;
    await setOwnPassword(connection, pending, login(secret, stage), verifierFor(pending.password), ctx);
    ctx.annotate({ loggedInWith: stage, passwordChanged: true });
    return;
  }
  const tried = ['AWSPENDING', ...candidates.map(([, stage]) => stage)].join(', ');
  throw new PasswordRejectedError(
    `none of the passwords of role ${JSON.stringify(pending.username)} in ${tried} is accepted at ${describeEndpoint(endpoint)}`,
    {
      action:
        'The database password was changed outside rotation. Set it back to the AWSCURRENT value (ALTER ROLE ... PASSWORD as an admin), then rotate again.',
    },
  );
}

/** Log in with the pending password and check the server sees the role we expect. */
export async function testSingleUser(pending: PostgresSecret, ctx: Ctx): Promise<void> {
  const endpoint = endpointOf(pending);
  const statements = {
    endpoint,
    login: login(pending, 'AWSPENDING'),
    doing: 'check which role the pending credential logs in as',
    deadline: ctx,
  };
  const sessionUser = await withConnection(statements, async (connection) => {
    const result = await connection.query<{ session_user: string }>('SELECT session_user');
    return result.rows[0]?.session_user;
  });
  if (sessionUser !== pending.username) {
    throw new TargetError(
      `logged in at ${describeEndpoint(endpoint)} as ${JSON.stringify(sessionUser)} instead of ${JSON.stringify(pending.username)}`,
    );
  }
  ctx.annotate({ strategy: 'single-user', role: pending.username });
}

/**
 * Emergency revoke. A single role has one password, so after a completed rotation the previous one
 * is already rejected; verify that and say so. If the server still accepts it (the password was put
 * back outside rotation), set the role's password to the AWSCURRENT value (same role) or to a random
 * one nobody knows (a different role), then verify again.
 */
export async function revokeSingleUser(previous: PostgresSecret, ctx: Ctx): Promise<void> {
  const current = await ctx.current();
  const endpoint = endpointOf(previous);
  ctx.annotate({ strategy: 'single-user', role: previous.username });
  const connection = await tryConnect(endpoint, login(previous, 'AWSPREVIOUS'), ctx);
  if (!connection) {
    ctx.annotate({ previousAlreadyRejected: true });
    ctx.logger.info('the AWSPREVIOUS password is already rejected by the server: nothing to revoke', {
      role: previous.username,
    });
    return;
  }
  const sameRole = previous.username === current.username && previous.host === current.host;
  if (sameRole && previous.password === current.password) {
    await connection.end().catch(() => undefined);
    throw new TargetError(
      'AWSPREVIOUS and AWSCURRENT hold the same password: revoking one would lock out the other',
      {
        action: 'Rotate the secret first, then revoke.',
      },
    );
  }
  await setOwnPassword(
    connection,
    previous,
    login(previous, 'AWSPREVIOUS'),
    sameRole ? verifierFor(current.password) : unknowableVerifier(),
    ctx,
  );
  if (await accepts(endpoint, login(previous, 'AWSPREVIOUS'), ctx)) {
    throw new TargetError(
      `the server still accepts the AWSPREVIOUS password of role ${JSON.stringify(previous.username)}`,
    );
  }
  ctx.annotate({ previousAlreadyRejected: false, passwordReset: sameRole ? 'AWSCURRENT' : 'random' });
}
