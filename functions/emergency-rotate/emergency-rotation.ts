import { RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { publishNotice } from '../../shared/observability/alerts';
import { audited, type StepReport } from '../../shared/rotation/audit';
import { RotationError } from '../../shared/errors';
import { secretsManager } from '../../shared/secrets/client';
import { describeSecret, versionWithStage } from '../../shared/secrets/describe';
import { Stage } from '../../shared/secrets/stages';
import { moveStage, removeStage } from '../../shared/secrets/versions';
import { parseEmergencyInput } from './input';
import { invokeRevoke } from './revoke-previous';
import { waitOptionsFromEnv } from './settings';
import { waitForPromotion, type WaitOptions } from './wait-for-promotion';

export interface EmergencyReport extends StepReport {
  reason: string;
  previousVersion: string | undefined;
  clearedPendingVersions: string[];
  revokedPrevious: boolean;
}

/**
 * Rotate a secret now, outside its schedule: clear an AWSPENDING left by a crashed rotation (else
 * RotateSecret refuses), rotate, wait until the new version is AWSCURRENT, then optionally have the
 * rotation function revoke the previous credential. Audited, and announced on the alert topic.
 */
export async function emergencyRotate(rawInput: unknown, waitOptions?: WaitOptions) {
  const facts = {
    reason: '',
    previousVersion: undefined as string | undefined,
    cleared: [] as string[],
    revoked: false,
  };
  const report = await audited('emergency', rawInput, 'emergencyRotate', async (audit) => {
    const input = parseEmergencyInput(rawInput);
    // Read inside the audited body, so a bad setting is audited and alerted like any failure.
    const wait = waitOptions ?? waitOptionsFromEnv();
    facts.reason = input.reason;
    audit.secretArn = input.secretId;
    audit.reason = input.reason;
    audit.note({ revokePrevious: input.revokePrevious === true });

    const description = await describeSecret(input.secretId);
    audit.identify(description);
    const rotationLambdaArn = description.rotationLambdaArn;
    if (!rotationLambdaArn) {
      throw new RotationError(`secret ${description.name} has no rotation function configured`, {
        action:
          'Deploy the suite with this secret wired to its rotation function (template.yaml), then retry.',
      });
    }
    facts.previousVersion = versionWithStage(description, Stage.Current);

    // RotateSecret refuses while a crashed rotation holds AWSPENDING. Its setSecret may already
    // have applied that credential to the target, so keep it reachable as ROTATION_ABANDONED: the
    // next setSecret can still log in with it (single user, registered webhook token).
    // The label is on one version at a time: each move takes it from wherever the last one put it.
    let abandonedHolder = versionWithStage(description, Stage.Abandoned);
    for (const [versionId, stages] of Object.entries(description.versions)) {
      if (stages.includes(Stage.Pending) && !stages.includes(Stage.Current)) {
        await moveStage(description.arn, Stage.Abandoned, versionId, abandonedHolder);
        abandonedHolder = versionId;
        await removeStage(description.arn, Stage.Pending, versionId);
        facts.cleared.push(versionId);
      }
    }
    audit.note({ clearedPendingVersions: facts.cleared });

    const rotation = await secretsManager().send(
      new RotateSecretCommand({
        SecretId: description.arn,
        RotationLambdaARN: rotationLambdaArn,
        RotateImmediately: true,
      }),
    );
    const token = rotation.VersionId;
    if (!token) throw new RotationError('RotateSecret returned no version id');
    audit.version = token;
    await waitForPromotion(description.arn, token, wait);

    if (input.revokePrevious) {
      // The old AWSCURRENT is now AWSPREVIOUS: name it, so a rotation finishing meanwhile cannot
      // make the revoke hit a credential clients were just given.
      await invokeRevoke(rotationLambdaArn, description.arn, input.reason, facts.previousVersion);
      facts.revoked = true;
    }
    return {
      outcome: 'succeeded',
      detail: facts.revoked
        ? 'rotated; the previous credential was revoked'
        : 'rotated; the previous credential still works',
    };
  });

  const result: EmergencyReport = {
    ...report,
    reason: facts.reason,
    previousVersion: facts.previousVersion,
    clearedPendingVersions: facts.cleared,
    revokedPrevious: facts.revoked,
  };
  await publishNotice(`Emergency rotation completed: ${report.secretName}`, {
    type: 'emergency-rotation',
    ...result,
  });
  return result;
}
