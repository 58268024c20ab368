import { PermissionDeniedError, TargetError } from '../../shared/errors';
import type { RedisSession } from './connection';
import { nodeLabel } from './errors';

/** PING on the fresh connection; NOPERM still proves the password: the server answers it only after AUTH. */
export async function provePing(
  session: RedisSession,
  ctx: { annotate(fields: Record<string, boolean>): void },
): Promise<void> {
  try {
    const reply = await session.call('running PING', 'PING');
    if (reply !== 'PONG') {
      throw new TargetError(`${nodeLabel(session.node)} answered PING with something other than PONG`);
    }
  } catch (error) {
    if (!(error instanceof PermissionDeniedError)) throw error;
    ctx.annotate({ pingRefused: true });
  }
}
