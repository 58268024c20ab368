import { AdminHostMismatchError, RotationError } from '../../shared/errors';
import {
  ADMIN_WITHOUT_HOST_VARIABLE,
  adminSecretWithoutHostAllowed,
  readOtherSecretAs,
} from '../../shared/rotation/other-secret';
import type { RotationContext } from '../../shared/rotation/rotator';
import type { Login } from './connection';
import {
  DEFAULT_DATABASE,
  type Endpoint,
  type MasterSecret,
  parseMasterSecret,
  portOf,
  type PostgresSecret,
  tlsOf,
} from './secret';

export interface MasterAccess {
  endpoint: Endpoint;
  login: Login;
}

/**
 * The admin credential of the alternating-users strategy, read from `masterarn`. It is used against
 * the application secret's host, port and database (so grants and role settings are managed where
 * the application lives), and only when the master secret names that same host and port, as AWS's
 * own multi-user function requires: otherwise whoever may edit the application secret could point
 * `host` at a server of their own and receive the master credential. A master secret without
 * `host` (RDS-managed master secrets hold only username and password) is refused unless the
 * deployment opts in (ALLOW_ADMIN_SECRET_WITHOUT_HOST=true), trusting the application secret's host.
 * TLS follows the master secret's own `ssl` (absent: TLS), since it is its password that travels.
 */
export async function masterAccess(
  secret: PostgresSecret,
  ctx: RotationContext<PostgresSecret>,
): Promise<MasterAccess> {
  const arn = secret.masterarn;
  if (!arn) throw new RotationError('the secret has no masterarn: not an alternating-users secret');
  const master = await readOtherSecretAs(
    ctx,
    { key: 'masterarn', secretId: arn, purpose: 'master secret' },
    parseMasterSecret,
    'Fix the master secret: it needs at least username and password.',
  );
  refuseForeignHost(secret, master, arn);
  return {
    endpoint: {
      host: secret.host,
      port: portOf(secret.port),
      database: secret.dbname ?? DEFAULT_DATABASE,
      tls: tlsOf(master.ssl),
    },
    login: {
      username: master.username,
      password: master.password,
      credential: 'the master secret',
      allowMd5: master.allow_md5_password === true,
    },
  };
}

/** Host names compare without case or a trailing dot (`DB.internal.` is `db.internal`). */
const sameHost = (a: string, b: string) =>
  a.toLowerCase().replace(/\.$/, '') === b.toLowerCase().replace(/\.$/, '');

function refuseForeignHost(secret: PostgresSecret, master: MasterSecret, arn: string): void {
  const where = `${secret.host}:${portOf(secret.port)}`;
  if (master.host === undefined) {
    if (adminSecretWithoutHostAllowed()) return;
    throw new AdminHostMismatchError(
      `the master secret ${arn} names no host, so nothing says ${where} (the application secret's \`host\`) is its server; refused to send the master credential there`,
      {
        action: `Add "host" and "port" of the database to the master secret. For RDS-managed master secrets (which cannot be edited), set ${ADMIN_WITHOUT_HOST_VARIABLE}=true on the function (template parameter AllowAdminSecretWithoutHost) to trust the application secret's host.`,
      },
    );
  }
  if (!sameHost(master.host, secret.host) || portOf(master.port) !== portOf(secret.port)) {
    throw new AdminHostMismatchError(
      `the master secret ${arn} is for ${master.host}:${portOf(master.port)}, but the application secret is for ${where}; refused to send the master credential there`,
      {
        action:
          'Point masterarn at the admin secret of the same database host and port, or fix `host`/`port` in the application secret.',
      },
    );
  }
}
