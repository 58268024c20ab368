import type { LambdaInvocation } from '../observability/lambda-handler';
import { versionWithStage } from '../secrets/describe';
import type { SecretDescription } from '../secrets/describe';
import { Stage } from '../secrets/stages';
import {
  RotationError,
  RotationInProgressError,
  RotationNotEnabledError,
  SecretVersionMissingError,
} from '../errors';
import type { Deadline } from '../net/deadline';
import type { AuditScope } from './audit';
import type { Rotator } from './rotator';
import { refuseUnlessWiredToThisFunction } from './own-function';
import { StepContext } from './step-context';

/**
 * Emergency: make the AWSPREVIOUS credential stop working now, through the rotator that knows the
 * target. Run after a completed rotation, so the new AWSCURRENT is already proven.
 *
 * Refused while a rotation is in progress: its pending credential may live where AWSPREVIOUS's does
 * (alternating users reuse the previous role), so revoking now could disable the credential that
 * rotation is about to promote. Refused too when AWSPREVIOUS is not the version the caller named.
 */
export async function revokePrevious<S>(
  rotator: Rotator<S>,
  description: SecretDescription,
  audit: AuditScope,
  deadline: Deadline,
  expectedPreviousVersion?: string,
  lambda?: LambdaInvocation,
): Promise<void> {
  // A secret never wired for rotation has no rotation of this suite to take a previous credential
  // from: whatever AWSPREVIOUS holds was put there by hand, and is nobody's to revoke here.
  if (!description.rotationLambdaArn) {
    throw new RotationNotEnabledError(
      `rotation was never enabled for secret ${description.name} (no rotation function): refusing to revoke its previous credential`,
      { action: 'Revoke only secrets this suite rotates; wire the secret first (npm run wire).' },
    );
  }
  refuseUnlessWiredToThisFunction(description, lambda, 'revoke the previous credential of');
  const previousVersion = versionWithStage(description, Stage.Previous);
  if (!previousVersion) {
    throw new SecretVersionMissingError(`secret ${description.name} has no AWSPREVIOUS version to revoke`);
  }
  const inProgress = Object.entries(description.versions).find(
    ([, stages]) => stages.includes(Stage.Pending) && !stages.includes(Stage.Current),
  );
  if (inProgress) {
    throw new RotationInProgressError(
      `a rotation of ${description.name} is in progress (version ${inProgress[0]} is AWSPENDING); revoking AWSPREVIOUS now could disable the credential it is about to promote`,
      {
        retryable: true,
        action: 'Let the rotation finish (or run emergency-rotate, which handles it), then revoke.',
      },
    );
  }
  if (expectedPreviousVersion && expectedPreviousVersion !== previousVersion) {
    throw new RotationInProgressError(
      `AWSPREVIOUS of ${description.name} is version ${previousVersion}, not ${expectedPreviousVersion}: a later rotation finished meanwhile; refusing to revoke a credential clients may have just received`,
      {
        action:
          'Check which credential must go; revoke again without PreviousVersionId if AWSPREVIOUS is it.',
      },
    );
  }
  if (!rotator.revoke) {
    throw new RotationError(
      `${rotator.kind} secrets have no revoke: the previous credential cannot be disabled here`,
    );
  }
  audit.version = previousVersion;
  const ctx = new StepContext(
    rotator,
    description,
    previousVersion,
    'revokePrevious',
    audit,
    deadline,
    lambda,
  );
  const previous = await ctx.previous();
  if (previous === undefined) {
    throw new SecretVersionMissingError(`secret ${description.name} AWSPREVIOUS has no value`);
  }
  await rotator.revoke(previous, ctx);
}
