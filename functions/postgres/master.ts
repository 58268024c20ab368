import { RotationError, SecretFormatError } from '../../shared/errors';
import { readOtherSecretAs } from '../../shared/rotation/other-secret';
import type { RotationContext } from '../../shared/rotation/rotator';
import type { Login } from './connection';
import {
  DEFAULT_DATABASE,
  type Endpoint,
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
 * the application lives); a master secret that names another host or port is refused rather than
 * trusted, because the admin password would then go somewhere the application secret does not point.
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
  if (master.host !== undefined && master.host !== secret.host) {
    throw new SecretFormatError(
      `the master secret ${arn} is for host ${master.host}, but the application secret is for ${secret.host}`,
      [],
      { action: 'Point masterarn at the admin secret of the same database host.' },
    );
  }
  if (master.port !== undefined && portOf(master.port) !== portOf(secret.port)) {
    throw new SecretFormatError(
      `the master secret ${arn} is for port ${portOf(master.port)}, but the application secret is for ${portOf(secret.port)}`,
      [],
      { action: 'Point masterarn at the admin secret of the same database.' },
    );
  }
  return {
    endpoint: {
      host: secret.host,
      port: portOf(secret.port),
      database: secret.dbname ?? DEFAULT_DATABASE,
      tls: tlsOf(master.ssl),
    },
    login: { username: master.username, password: master.password, credential: 'the master secret' },
  };
}
