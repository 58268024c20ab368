import { withPowertools } from '../observability/lambda-handler';
import type { Rotator } from './rotator';
import { runRotationInvocation } from './run-step';

/** The Lambda handler for a rotator: the core's step runner in the shared Powertools pipeline. */
export function createRotationHandler<S>(rotator: Rotator<S>) {
  return withPowertools((event: unknown) => runRotationInvocation(rotator, event));
}
