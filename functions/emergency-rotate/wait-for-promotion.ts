import { setTimeout as sleep } from 'node:timers/promises';
import type { Deadline } from '../../shared/net/deadline';
import { describeSecret, hasStage } from '../../shared/secrets/describe';
import { Stage } from '../../shared/secrets/stages';
import { RotationAbandonedError, RotationTimeoutError } from './errors';

export interface WaitOptions {
  timeoutMs: number;
  pollMs: number;
}

/**
 * Secrets Manager runs the four steps asynchronously after RotateSecret: poll DescribeSecret until
 * the new version is AWSCURRENT. Fails early when the version loses AWSPENDING without being
 * promoted (the rotation was abandoned), and after `timeoutMs` with a pointer to the logs.
 */
export async function waitForPromotion(
  secretArn: string,
  token: string,
  options: WaitOptions,
  invocation: Deadline,
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const description = await describeSecret(secretArn, invocation);
    if (hasStage(description, token, Stage.Current)) return;
    if (!hasStage(description, token, Stage.Pending)) {
      throw new RotationAbandonedError(
        `the emergency rotation of ${description.name} was abandoned: version ${token} is no longer AWSPENDING`,
        { action: "Read the rotation function's logs for the failed step, fix the cause, and run it again." },
      );
    }
    if (Date.now() >= deadline) {
      throw new RotationTimeoutError(
        `the emergency rotation of ${description.name} did not complete within ${Math.round(options.timeoutMs / 1000)} s`,
        {
          retryable: true,
          action:
            "Read the rotation function's logs: a step is failing or slow. AWSCURRENT is unchanged until it succeeds.",
        },
      );
    }
    // Never sleep past the deadline: the bound is what the function's timeout budget relies on.
    const pause = Math.min(options.pollMs, Math.max(0, deadline - Date.now()));
    invocation.waitingFor(`the rotation of ${description.name} to promote version ${token}`);
    await sleep(pause, undefined, { signal: invocation.signal });
  }
}
