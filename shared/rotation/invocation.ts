import type { LambdaInvocation } from '../observability/lambda-handler';
import { describeSecret } from '../secrets/describe';
import type { StepReport } from './audit';
import { type AuditedOperation, auditedHandler, type Invocation, runAudited } from './auditing';
import { isRevokeEvent, parseRevokeEvent, parseRotationEvent } from './event';
import { refuseUnlessWiredToThisFunction } from './own-function';
import { checkStaging, runStep } from './protocol';
import { revokePrevious } from './revoke';
import type { Rotator } from './rotator';
import { StepContext } from './step-context';

/** The Lambda handler for a rotator: the core's invocation router in the shared audited pipeline. */
export function createRotationHandler<S>(rotator: Rotator<S>) {
  return auditedHandler(rotationOperation(rotator));
}

/**
 * A rotator's invocations as one audited operation: Secrets Manager's rotation steps, or the
 * emergency revoke action. The audit line names `invalidEvent` until the event says which step.
 */
function rotationOperation<S>(
  rotator: Rotator<S>,
): AuditedOperation<{ outcome: 'succeeded' | 'skipped'; detail: string }> {
  return {
    kind: rotator.kind,
    step: (event) => (isRevokeEvent(event) ? 'revokePrevious' : 'invalidEvent'),
    run: (event, invocation) =>
      isRevokeEvent(event) ? revoke(rotator, event, invocation) : rotationStep(rotator, event, invocation),
  };
}

/**
 * Route an invocation in process (tests, scripts), audited like the handler's. `lambda` stands in
 * for the Lambda context where a rotator needs the function's own ARN.
 */
export function runRotationInvocation<S>(
  rotator: Rotator<S>,
  rawEvent: unknown,
  lambda?: LambdaInvocation,
): Promise<StepReport> {
  return runAudited(rotationOperation(rotator), rawEvent, { lambda });
}

/** One rotation step in process: what the handler does for an event from Secrets Manager. */
export function runRotationStep<S>(
  rotator: Rotator<S>,
  rawEvent: unknown,
  lambda?: LambdaInvocation,
): Promise<StepReport> {
  return runAudited(
    {
      kind: rotator.kind,
      step: () => 'invalidEvent',
      run: (event, inv) => rotationStep(rotator, event, inv),
    },
    rawEvent,
    { lambda },
  );
}

/**
 * One invocation from Secrets Manager: validate the event, describe the secret once, apply the
 * staging guards, run the step.
 */
async function rotationStep<S>(
  rotator: Rotator<S>,
  rawEvent: unknown,
  { audit, deadline, lambda }: Invocation,
) {
  const event = parseRotationEvent(rawEvent);
  audit.step = event.Step;
  audit.version = event.ClientRequestToken;
  const description = await describeSecret(event.SecretId, deadline);
  audit.identify(description);
  refuseUnlessWiredToThisFunction(description, lambda, `run ${event.Step} on`);

  if (checkStaging(description, event.ClientRequestToken) === 'already-current') {
    return { outcome: 'skipped' as const, detail: 'version is already AWSCURRENT; nothing to do' };
  }
  const ctx = new StepContext(
    rotator,
    description,
    event.ClientRequestToken,
    event.Step,
    audit,
    deadline,
    lambda,
  );
  return { outcome: 'succeeded' as const, detail: await runStep(event.Step, ctx, event.RotationToken) };
}

/** Emergency revoke of the AWSPREVIOUS credential, sent by the emergency-rotate function. */
async function revoke<S>(rotator: Rotator<S>, rawEvent: unknown, { audit, deadline, lambda }: Invocation) {
  const event = parseRevokeEvent(rawEvent);
  audit.reason = event.Reason;
  const description = await describeSecret(event.SecretId, deadline);
  audit.identify(description);
  await revokePrevious(rotator, description, audit, deadline, event.PreviousVersionId, lambda);
  // Where consumers cache credentials (bearer verifiers), they notice at their next refresh; the
  // kind's documentation says when each target stops accepting it.
  return { outcome: 'succeeded' as const, detail: 'revoked the previous credential at the target' };
}
