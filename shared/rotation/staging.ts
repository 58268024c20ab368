import type { SecretDescription } from '../secrets/describe';
import { Stage } from '../secrets/stages';
import { RotationNotEnabledError, VersionNotStagedError } from './errors';

export type StagingDecision = 'rotate' | 'already-current';

/**
 * The guards every step runs on the one DescribeSecret result, in the order AWS's own rotation
 * functions use: rotation enabled, token is a version, token not yet current, token is pending.
 */
export function checkStaging(description: SecretDescription, token: string): StagingDecision {
  const { name } = description;
  if (!description.rotationEnabled) {
    throw new RotationNotEnabledError(`rotation is not enabled for secret ${name}`, {
      action:
        'Enable rotation on the secret (RotateSecret or its RotationSchedule) before invoking this function.',
    });
  }
  const stages = description.versions[token];
  if (!stages) {
    throw new VersionNotStagedError(`version ${token} of secret ${name} has no stage for rotation`, {
      action: 'Start the rotation with RotateSecret; invoke the function only with the token it returns.',
    });
  }
  if (stages.includes(Stage.Current)) return 'already-current';
  if (!stages.includes(Stage.Pending)) {
    throw new VersionNotStagedError(
      `version ${token} of secret ${name} is not AWSPENDING (its stages: ${stages.join(', ') || 'none'})`,
      {
        action: 'Start a new rotation with RotateSecret; this token belongs to a finished or abandoned one.',
      },
    );
  }
  return 'rotate';
}
