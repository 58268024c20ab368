import { MOTO_INSTALL_HINT } from '../aws/moto';
import { POSTGRES_INSTALL_HINT, postgresBinDir } from '../targets/postgres/cluster';
import { hasCommand } from './processes';
import { REDIS_INSTALL_HINT } from '../targets/redis/server';

/** The local servers the demo and the bench start; each missing one with how to install it. */
export function missingTools(): string[] {
  const missing: string[] = [];
  if (!hasCommand('moto_server')) missing.push(MOTO_INSTALL_HINT);
  if (!postgresBinDir()) missing.push(POSTGRES_INSTALL_HINT);
  if (!hasCommand('redis-server')) missing.push(REDIS_INSTALL_HINT);
  return missing;
}
