import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { logger } from '../observability/logger';
import { metrics } from '../observability/metrics';
import type { Rotator } from './rotator';
import { runRotationInvocation } from './run-step';

/**
 * The Lambda handler for a rotator: the core's step runner inside middy, with Powertools adding the
 * Lambda context to every log line and flushing metrics (and the cold-start metric) per invocation.
 */
export function createRotationHandler<S>(rotator: Rotator<S>) {
  return middy()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .handler((event: unknown) => runRotationInvocation(rotator, event));
}
