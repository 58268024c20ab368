import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import { logger } from './logger';
import { metrics } from './metrics';

export interface PipelineOptions<TEvent, TResult> {
  /**
   * Used after the Powertools ones, so their `after`/`onError` run last: an audit middleware's
   * metric is recorded before logMetrics flushes, and its log line still carries the Lambda context.
   */
  middlewares?: MiddlewareObj<TEvent, TResult>[];
  /**
   * How long before the Lambda deadline middy gives up on the handler: it aborts the handler's
   * `signal` and rejects with its TimeoutError, which then runs through `onError` like any failure.
   */
  timeoutMarginMs?: number;
}

/** The part of the Lambda context the suite reads (middy passes the whole of it). */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
}

/**
 * What a rotator may read from the Lambda context: the function's own ARN (its account, region and
 * name) and the time left before Lambda stops the invocation.
 */
export interface LambdaInvocation extends InvocationContext {
  readonly invokedFunctionArn: string;
}

/** What middy hands the handler besides event and context: the signal its timeout aborts. */
export interface HandlerOptions {
  signal: AbortSignal;
}

/**
 * Every function's pipeline: middy with Powertools adding the Lambda context to each log line and
 * flushing metrics (with the cold-start metric) at the end of each invocation, then the caller's
 * middlewares.
 */
export function withPowertools<TEvent, TResult>(
  handler: (event: TEvent, context: LambdaInvocation, options: HandlerOptions) => Promise<TResult>,
  options: PipelineOptions<TEvent, TResult> = {},
) {
  return middy<TEvent, TResult>({
    ...(options.timeoutMarginMs !== undefined ? { timeoutEarlyInMillis: options.timeoutMarginMs } : {}),
  })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .use(options.middlewares ?? [])
    .handler(handler);
}
