import { DescribeUsersCommand, MemoryDBClient, UpdateUserCommand, type User } from '@aws-sdk/client-memorydb';
import type { Deadline } from '../../../shared/net/deadline';
import type { UserTarget } from './scope';
import { callsFor, clientOptions, type UserApi, type UserState, userMissing } from './service';

const clients = new Map<string, MemoryDBClient>();

/**
 * One client per region and container. The endpoint follows the SDK's standard variables
 * (AWS_ENDPOINT_URL_MEMORYDB, then AWS_ENDPOINT_URL), so a local emulator needs no code here.
 */
function client(region: string): MemoryDBClient {
  let existing = clients.get(region);
  if (!existing) {
    existing = new MemoryDBClient(clientOptions(region));
    clients.set(region, existing);
  }
  return existing;
}

function stateOf(user: User | undefined, target: UserTarget): UserState {
  if (!user) throw userMissing(target, 'memorydb');
  return {
    status: user.Status ?? 'unknown',
    userName: user.Name,
    authType: user.Authentication?.Type,
    passwordCount: user.Authentication?.PasswordCount ?? 0,
  };
}

/**
 * MemoryDB's user calls (JSON 1.1): DescribeUsers by UserName, UpdateUser with an
 * AuthenticationMode of type password (MemoryDB has no bare Passwords parameter).
 */
export function memorydbUserApi(target: UserTarget, deadline: Deadline): UserApi {
  const { calls, send } = callsFor(target, 'memorydb', deadline);
  return {
    calls,
    async describe() {
      const out = await send('DescribeUsers', (abortSignal) =>
        client(target.region).send(new DescribeUsersCommand({ UserName: target.userId }), { abortSignal }),
      );
      return stateOf(
        out.Users?.find((user) => user.Name === target.userId),
        target,
      );
    },
    async setPasswords(passwords) {
      const out = await send('UpdateUser', (abortSignal) =>
        client(target.region).send(
          new UpdateUserCommand({
            UserName: target.userId,
            AuthenticationMode: { Type: 'password', Passwords: [...passwords] },
          }),
          { abortSignal },
        ),
      );
      return stateOf(out.User, target);
    },
  };
}
