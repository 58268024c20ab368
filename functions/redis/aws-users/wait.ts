import { setTimeout as sleep } from 'node:timers/promises';
import type { Deadline } from '../../../shared/net/deadline';
import type { LambdaInvocation } from '../../../shared/observability/lambda-handler';
import { UserNotActiveError } from '../errors';
import { USER_POLL_MAX_MS } from '../settings';
import type { UserTarget } from './scope';
import type { UserApi, UserState } from './service';

export interface WaitOptions {
  /** The first pause between polls; each next one doubles, up to USER_POLL_MAX_MS. */
  pollMs: number;
  /** Time to keep for what the step does after the wait (AUTH+PING, the audit line, the alert). */
  reserveMs: number;
  /** "testSecret", "revokePrevious": named in the error when time runs out. */
  doing: string;
}

/**
 * Poll DescribeUsers until the user is `active` (a change applied on every node), within the
 * invocation's remaining time less `reserveMs`. Pauses back off exponentially and are cut short so
 * none ends past that deadline; when the next poll would, the step fails now, retryably, with the
 * status last seen, and Secrets Manager's retry polls again. AWS's sample instead sleeps inside the
 * step for up to 600 s, holding a Lambda for ten minutes.
 */
export async function waitForActive(
  api: UserApi,
  target: UserTarget,
  lambda: LambdaInvocation,
  options: WaitOptions & { deadline: Deadline },
): Promise<{ user: UserState; polls: number; waitedMs: number }> {
  const started = Date.now();
  const deadline = started + lambda.getRemainingTimeInMillis() - options.reserveMs;
  let pause = options.pollMs;
  for (let polls = 1; ; polls++) {
    const user = await api.describe();
    if (user.status === 'active') return { user, polls, waitedMs: Date.now() - started };
    const left = deadline - Date.now();
    // A pause shorter than the first one would only poll again at once: give up instead.
    if (left < Math.min(pause, options.pollMs)) {
      throw new UserNotActiveError(
        `${target.label} is still ${user.status}, not active, after ${Date.now() - started} ms and ${polls} DescribeUsers call(s) in ${options.doing}; the invocation has no time left to wait`,
        {
          action:
            'Secrets Manager retries the step; if the user stays in this state, check it in the console (a change stuck in the service).',
        },
      );
    }
    // Abortable: at the deadline margin the invocation is reported failed, and the wait stops with it.
    await sleep(Math.min(pause, left), undefined, { signal: options.deadline.signal });
    pause = Math.min(pause * 2, USER_POLL_MAX_MS);
  }
}
