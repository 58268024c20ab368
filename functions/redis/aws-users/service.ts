import type { Deadline } from '../../../shared/net/deadline';
import { userApiFailure } from '../errors';
import { awsUserSettings } from '../settings';
import type { UserTarget } from './scope';

/** What DescribeUsers shows of a user: never a password, only how many it has. */
export interface UserState {
  status: string;
  /** The name clients AUTH with. */
  userName: string | undefined;
  /** password, no-password or iam. */
  authType: string | undefined;
  passwordCount: number;
}

/** The two calls the rotation needs, the same over both services. */
export interface UserApi {
  /** DescribeUsers for this one user. */
  describe(): Promise<UserState>;
  /** Replace the user's passwords (at most two): ModifyUser / UpdateUser. */
  setPasswords(passwords: readonly string[]): Promise<UserState>;
  /** The API calls made through this object, by operation: for the audit line. */
  readonly calls: Record<string, number>;
}

/**
 * The user's API. Each service's SDK client loads here, on first use, in its own module: a
 * self-managed Redis rotation (and every cold start) never loads either.
 */
export async function userApiFor(target: UserTarget, deadline: Deadline): Promise<UserApi> {
  if (target.service === 'elasticache') {
    const { elasticacheUserApi } = await import('./elasticache');
    return elasticacheUserApi(target, deadline);
  }
  const { memorydbUserApi } = await import('./memorydb');
  return memorydbUserApi(target, deadline);
}

/** What both SDK clients are built with: the user's region and a deadline on every call. */
export function clientOptions(region: string) {
  const { apiTimeoutMs } = awsUserSettings();
  return { region, requestHandler: { connectionTimeout: apiTimeoutMs, requestTimeout: apiTimeoutMs } };
}

/**
 * Run the service's calls for one user: each counted by operation, named as what the invocation
 * waits for, aborted at the deadline (`run` gets the signal for the SDK's `abortSignal`), and each
 * failure translated into a named error (`iamPrefix`: "elasticache", "memorydb", for the IAM action
 * a denial names).
 */
export function callsFor(target: UserTarget, iamPrefix: string, deadline: Deadline) {
  const calls: Record<string, number> = {};
  const send = async <T>(operation: string, run: (abortSignal: AbortSignal) => Promise<T>): Promise<T> => {
    calls[operation] = (calls[operation] ?? 0) + 1;
    deadline.waitingFor(`${iamPrefix} ${operation} for ${target.label}`);
    try {
      return await run(deadline.signal);
    } catch (error) {
      throw userApiFailure(error, { user: target.label, operation, iamAction: `${iamPrefix}:${operation}` });
    }
  };
  return { calls, send };
}

/** DescribeUsers answered without the user: as the service says when it is not found. */
export function userMissing(target: UserTarget, iamPrefix: string): Error {
  return userApiFailure(
    { name: 'UserNotFoundFault' },
    { user: target.label, operation: 'DescribeUsers', iamAction: `${iamPrefix}:DescribeUsers` },
  );
}
