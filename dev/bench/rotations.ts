import { LocalLambda } from '../aws/local-lambda';
import type { CountingProxy } from '../aws/counting-proxy';
import { RotationDriver } from '../aws/rotation-driver';
import type { RotationTarget } from '../targets/index';
import { median, percentile, round } from './stats';

export interface RotationFigures {
  type: string;
  rotations: number;
  failures: number;
  /** The four steps, invoked back to back in a warm function (what the function itself costs). */
  stepsMedianMs: number;
  stepsP95Ms: number;
  /** Including the service's part against moto: RotateSecret and the label clean-up. */
  wallMedianMs: number;
  wallP95Ms: number;
  /** Secrets Manager API calls the function made per rotation (median; first, cold rotation apart). */
  secretsManagerCalls: number;
  firstRotationCalls: number;
  callsByOperation: Record<string, number>;
  /** Calls to the target's own AWS API (ElastiCache) per warm rotation (median), where it has one. */
  serviceCalls: number;
  serviceCallsByOperation: Record<string, number>;
  /** Peak resident memory of the warm function process after all rotations. */
  peakRssMb: number;
}

/**
 * Rotate one target `count` times through a fresh warm function process whose AWS endpoint is the
 * counting proxy, so every Secrets Manager call the function makes is counted (and no other).
 */
export async function benchRotations(
  target: RotationTarget,
  proxy: CountingProxy,
  count: number,
): Promise<RotationFigures> {
  const lambda = await LocalLambda.start(target.functionName, {
    env: { ...target.env, AWS_ENDPOINT_URL: proxy.endpoint },
  });
  const driver = new RotationDriver();
  const steps: number[] = [];
  const walls: number[] = [];
  const calls: number[] = [];
  let callsByOperation: Record<string, number> = {};
  const serviceCalls: number[] = [];
  let serviceCallsByOperation: Record<string, number> = {};
  let failures = 0;
  try {
    for (let i = 0; i < count; i++) {
      proxy.reset();
      target.serviceCalls?.reset();
      let stepMs = 0;
      const started = performance.now();
      try {
        await driver.rotate(target.secretId, async (event) => {
          const stepStarted = performance.now();
          try {
            return await lambda.invoke(event);
          } finally {
            stepMs += performance.now() - stepStarted;
          }
        });
        walls.push(performance.now() - started);
        steps.push(stepMs);
        calls.push(proxy.total());
        callsByOperation = proxy.counts();
        serviceCallsByOperation = target.serviceCalls?.counts() ?? {};
        serviceCalls.push(Object.values(serviceCallsByOperation).reduce((sum, n) => sum + n, 0));
      } catch {
        failures++;
      }
      await target.settle();
    }
    const memory = await lambda.memory();
    return {
      type: target.label,
      rotations: count,
      failures,
      stepsMedianMs: round(median(steps)),
      stepsP95Ms: round(percentile(steps, 95)),
      wallMedianMs: round(median(walls)),
      wallP95Ms: round(percentile(walls, 95)),
      secretsManagerCalls: median(calls.slice(1)),
      firstRotationCalls: calls[0] ?? 0,
      callsByOperation,
      serviceCalls: median(serviceCalls.slice(1)),
      serviceCallsByOperation,
      peakRssMb: round(memory.maxRssKb / 1024),
    };
  } finally {
    await lambda.stop();
  }
}
