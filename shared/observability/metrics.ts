import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * CloudWatch metrics in Embedded Metric Format: written to stdout with the logs, so recording one
 * costs no API call. Dimensions are the secret kind and the step, never anything from a secret.
 */
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'SecretRotation',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'secret-rotation',
});

const MetricName = {
  StepSucceeded: 'RotationStepSucceeded',
  StepFailed: 'RotationStepFailed',
  StepDuration: 'RotationStepDuration',
} as const;

/**
 * Record one step's outcome under the dimensions (Kind, Step). Flushed at the end of the invocation
 * by the logMetrics middleware, as one EMF line.
 */
export function recordStep(kind: string, step: string, succeeded: boolean, durationMs: number): void {
  metrics.addDimensions({ Kind: kind, Step: step });
  metrics.addMetric(succeeded ? MetricName.StepSucceeded : MetricName.StepFailed, MetricUnit.Count, 1);
  metrics.addMetric(MetricName.StepDuration, MetricUnit.Milliseconds, durationMs);
}
