import { type FaultProxy, startFaultProxy } from '../aws/fault-proxy';
import { LocalLambda } from '../aws/local-lambda';
import { RotationDriver } from '../aws/rotation-driver';
import type { RotationTarget } from '../targets/index';
import { median, round } from './stats';

/** The SDK retry modes compared (AWS_RETRY_MODE, which the function's client honours). */
export const RETRY_MODES = ['standard', 'adaptive'] as const;
export type RetryMode = (typeof RETRY_MODES)[number];

export interface ModeFigures {
  /** The four steps, invoked back to back (the function's own time, retries included). */
  medianMs: number;
  worstMs: number;
  /** Rotations that did not complete (a step failed its three attempts). */
  failures: number;
  /** Secrets Manager calls answered ThrottlingException, per rotation (median). */
  throttledCalls: number;
  /** Secrets Manager calls made, per rotation (median), retries included. */
  calls: number;
}

export interface RetryModeFigures {
  type: string;
  rotations: number;
  throttledFraction: number;
  modes: Record<RetryMode, ModeFigures>;
}

interface Contender {
  mode: RetryMode;
  lambda: LocalLambda;
  proxy: FaultProxy;
  times: number[];
  throttled: number[];
  calls: number[];
  failures: number;
}

/**
 * Rotate one target `count` times with each SDK retry mode, side by side: two warm function
 * processes, one per mode, each behind its own fault proxy that answers ThrottlingException on the
 * same seeded `fraction` of Secrets Manager calls. Rotations alternate between the two, so both see
 * the same machine load; each rotation is timed over its four step invocations.
 */
export async function benchRetryModes(
  target: RotationTarget,
  upstream: string,
  count: number,
  fraction: number,
): Promise<RetryModeFigures> {
  const contenders: Contender[] = [];
  // The service retries a failed step; give it the same three attempts for both.
  const driver = new RotationDriver({ attemptsPerStep: 3 });
  try {
    for (const mode of RETRY_MODES) {
      const proxy = await startFaultProxy(upstream, {
        kind: 'throttle',
        // Secrets Manager only: its calls carry X-Amz-Target (SNS's query protocol does not).
        matching: (call) => call.action !== 'other',
        fraction,
        seed: 14,
      });
      const lambda = await LocalLambda.start(target.functionName, {
        env: { ...target.env, AWS_ENDPOINT_URL: proxy.endpoint, AWS_RETRY_MODE: mode },
      });
      contenders.push({ mode, lambda, proxy, times: [], throttled: [], calls: [], failures: 0 });
    }
    for (let i = 0; i < count; i++) {
      for (const contender of contenders) {
        contender.proxy.reset();
        let stepsMs = 0;
        try {
          await driver.rotate(target.secretId, async (event) => {
            const started = performance.now();
            try {
              return await contender.lambda.invoke(event);
            } finally {
              stepsMs += performance.now() - started;
            }
          });
          contender.times.push(stepsMs);
        } catch {
          contender.failures++;
          // Leave no AWSPENDING behind for the next rotation to trip over.
          await driver.abandonPending(target.secretId);
        }
        contender.throttled.push(contender.proxy.injected().throttle);
        contender.calls.push(contender.proxy.total());
        await target.settle();
      }
    }
    const figures = (contender: Contender): ModeFigures => ({
      medianMs: round(median(contender.times)),
      worstMs: round(Math.max(...contender.times)),
      failures: contender.failures,
      throttledCalls: median(contender.throttled),
      calls: median(contender.calls),
    });
    return {
      type: target.label,
      rotations: count,
      throttledFraction: fraction,
      modes: Object.fromEntries(contenders.map((c) => [c.mode, figures(c)])) as Record<
        RetryMode,
        ModeFigures
      >,
    };
  } finally {
    for (const contender of contenders) {
      await contender.lambda.stop();
      await contender.proxy.stop();
    }
  }
}
