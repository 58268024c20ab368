import { MOTO_INSTALL_HINT } from '../../test/support/moto';
import { POSTGRES_INSTALL_HINT, postgresBinDir } from '../../test/support/postgres';
import { hasCommand } from '../../test/support/processes';
import { REDIS_INSTALL_HINT } from '../../test/support/redis';

/** The local servers the demo and the bench start; each missing one with how to install it. */
export function missingTools(): string[] {
  const missing: string[] = [];
  if (!hasCommand('moto_server')) missing.push(MOTO_INSTALL_HINT);
  if (!postgresBinDir()) missing.push(POSTGRES_INSTALL_HINT);
  if (!hasCommand('redis-server')) missing.push(REDIS_INSTALL_HINT);
  return missing;
}
