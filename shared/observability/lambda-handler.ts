import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { logger } from './logger';
import { metrics } from './metrics';

/**
 * What a handler may read from the Lambda context: the function's own ARN (its account, region and
 * name) and the time left before Lambda stops the invocation.
 */
export interface LambdaInvocation {
  readonly invokedFunctionArn: string;
  getRemainingTimeInMillis(): number;
}

/**
 * Every function's pipeline: middy with Powertools adding the Lambda context to each log line and
 * flushing metrics (with the cold-start metric) at the end of each invocation.
 */
export function withPowertools<TEvent, TResult>(
  handler: (event: TEvent, lambda: LambdaInvocation) => Promise<TResult>,
) {
  return middy<TEvent, TResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .handler((event, context) => handler(event, context));
}
