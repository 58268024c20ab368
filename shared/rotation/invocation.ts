import { type LambdaInvocation, withPowertools } from '../observability/lambda-handler';
import { describeSecret } from '../secrets/describe';
import { audited, type StepReport } from './audit';
import { isRevokeEvent, parseRevokeEvent, parseRotationEvent } from './event';
import { checkStaging, runStep } from './protocol';
import { revokePrevious } from './revoke';
import type { Rotator } from './rotator';
import { StepContext } from './step-context';

/** The Lambda handler for a rotator: the core's invocation router in the shared Powertools pipeline. */
export function createRotationHandler<S>(rotator: Rotator<S>) {
  return withPowertools((event: unknown, lambda) => runRotationInvocation(rotator, event, lambda));
}

/**
 * Route an invocation: Secrets Manager's rotation steps, or the emergency revoke action. `lambda` is
 * the invocation's Lambda context (absent when a test or a script runs the core in process).
 */
export function runRotationInvocation<S>(
  rotator: Rotator<S>,
  rawEvent: unknown,
  lambda?: LambdaInvocation,
): Promise<StepReport> {
  return isRevokeEvent(rawEvent)
    ? runRevoke(rotator, rawEvent, lambda)
    : runRotationStep(rotator, rawEvent, lambda);
}

/**
 * One invocation from Secrets Manager: validate the event, describe the secret once, apply the
 * staging guards, run the step.
 */
export function runRotationStep<S>(
  rotator: Rotator<S>,
  rawEvent: unknown,
  lambda?: LambdaInvocation,
): Promise<StepReport> {
  return audited(rotator.kind, rawEvent, 'invalidEvent', async (audit) => {
    const event = parseRotationEvent(rawEvent);
    audit.step = event.Step;
    audit.version = event.ClientRequestToken;
    const description = await describeSecret(event.SecretId);
    audit.identify(description);

    if (checkStaging(description, event.ClientRequestToken) === 'already-current') {
      return { outcome: 'skipped', detail: 'version is already AWSCURRENT; nothing to do' };
    }
    const ctx = new StepContext(rotator, description, event.ClientRequestToken, event.Step, audit, lambda);
    return { outcome: 'succeeded', detail: await runStep(event.Step, ctx, event.RotationToken) };
  });
}

/** Emergency revoke of the AWSPREVIOUS credential, sent by the emergency-rotate function. */
function runRevoke<S>(
  rotator: Rotator<S>,
  rawEvent: unknown,
  lambda?: LambdaInvocation,
): Promise<StepReport> {
  return audited(rotator.kind, rawEvent, 'revokePrevious', async (audit) => {
    const event = parseRevokeEvent(rawEvent);
    audit.reason = event.Reason;
    const description = await describeSecret(event.SecretId);
    audit.identify(description);
    await revokePrevious(rotator, description, audit, event.PreviousVersionId, lambda);
    // Where consumers cache credentials (bearer verifiers), they notice at their next refresh; the
    // kind's documentation says when each target stops accepting it.
    return { outcome: 'succeeded', detail: 'revoked the previous credential at the target' };
  });
}
