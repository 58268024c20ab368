import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { logger } from './logger';
import { metrics } from './metrics';

/**
 * Every function's pipeline: middy with Powertools adding the Lambda context to each log line and
 * flushing metrics (with the cold-start metric) at the end of each invocation.
 */
export function withPowertools<TEvent, TResult>(handler: (event: TEvent) => Promise<TResult>) {
  return middy<TEvent, TResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .handler(handler);
}
