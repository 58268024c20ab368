import {
  DescribeUsersCommand,
  ElastiCacheClient,
  ModifyUserCommand,
  type User,
} from '@aws-sdk/client-elasticache';
import type { Deadline } from '../../../shared/net/deadline';
import type { UserTarget } from './scope';
import { callsFor, clientOptions, type UserApi, type UserState, userMissing } from './service';

const clients = new Map<string, ElastiCacheClient>();

/**
 * One client per region and container. The endpoint follows the SDK's standard variables
 * (AWS_ENDPOINT_URL_ELASTICACHE, then AWS_ENDPOINT_URL), so a local emulator needs no code here.
 */
function client(region: string): ElastiCacheClient {
  let existing = clients.get(region);
  if (!existing) {
    existing = new ElastiCacheClient(clientOptions(region));
    clients.set(region, existing);
  }
  return existing;
}

function stateOf(user: User | undefined, target: UserTarget): UserState {
  if (!user) throw userMissing(target, 'elasticache');
  return {
    status: user.Status ?? 'unknown',
    userName: user.UserName,
    authType: user.Authentication?.Type,
    passwordCount: user.Authentication?.PasswordCount ?? 0,
  };
}

/** ElastiCache's user calls (Query protocol): DescribeUsers by UserId, ModifyUser with Passwords. */
export function elasticacheUserApi(target: UserTarget, deadline: Deadline): UserApi {
  const { calls, send } = callsFor(target, 'elasticache', deadline);
  return {
    calls,
    async describe() {
      const out = await send('DescribeUsers', (abortSignal) =>
        client(target.region).send(new DescribeUsersCommand({ UserId: target.userId }), { abortSignal }),
      );
      return stateOf(
        out.Users?.find((user) => user.UserId === target.userId),
        target,
      );
    },
    async setPasswords(passwords) {
      const out = await send('ModifyUser', (abortSignal) =>
        client(target.region).send(
          new ModifyUserCommand({ UserId: target.userId, Passwords: [...passwords] }),
          { abortSignal },
        ),
      );
      return stateOf(out, target);
    },
  };
}
