import { RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { publishNotice } from '../../shared/observability/alerts';
import type { AuditedResult, StepReport } from '../../shared/rotation/audit';
import { type AuditedOperation, type Invocation, runAudited } from '../../shared/rotation/auditing';
import { RotationError, WrongRotationFunctionError } from '../../shared/errors';
import { unqualifiedFunctionArn } from '../../shared/rotation/own-function';
import { secretsManager, within } from '../../shared/secrets/client';
import { describeSecret, versionWithStage } from '../../shared/secrets/describe';
import { Stage } from '../../shared/secrets/stages';
import { moveStage, removeStage } from '../../shared/secrets/versions';
import { parseEmergencyInput } from './input';
import { invokeRevoke } from './revoke-previous';
import { suiteRotationFunctions, waitOptionsFromEnv } from './settings';
import { waitForPromotion, type WaitOptions } from './wait-for-promotion';

export interface EmergencyReport extends StepReport {
  reason: string;
  previousVersion: string | undefined;
  clearedPendingVersions: string[];
  revokedPrevious: boolean;
  /** Whether this rotation sent its own success notice (a fleet run sends one summary instead). */
  announced: boolean;
}

type EmergencyResult = Omit<EmergencyReport, keyof StepReport> & AuditedResult;

/**
 * Rotate a secret now, outside its schedule: clear an AWSPENDING left by a crashed rotation (else
 * RotateSecret refuses), rotate, wait until the new version is AWSCURRENT, then optionally have the
 * rotation function revoke the previous credential. Audited, and announced on the alert topic.
 */
export function emergencyOperation(waitOptions?: WaitOptions): AuditedOperation<EmergencyResult> {
  return {
    kind: 'emergency',
    step: () => 'emergencyRotate',
    run: (rawInput, invocation) => rotateNow(rawInput, invocation, waitOptions),
    announce: async (report) => {
      if (!report.announced) return;
      await publishNotice(`Emergency rotation completed: ${report.secretName}`, {
        type: 'emergency-rotation',
        ...report,
      });
    },
  };
}

/** The emergency rotation in process (tests, the local script): audited like the handler's. */
export function emergencyRotate(rawInput: unknown, waitOptions?: WaitOptions): Promise<EmergencyReport> {
  return runAudited(emergencyOperation(waitOptions), rawInput);
}

async function rotateNow(
  rawInput: unknown,
  { audit, deadline }: Invocation,
  waitOptions: WaitOptions | undefined,
): Promise<EmergencyResult> {
  const input = parseEmergencyInput(rawInput);
  // Read inside the audited body, so a bad setting is audited and alerted like any failure.
  const wait = waitOptions ?? waitOptionsFromEnv();
  const suite = suiteRotationFunctions();
  const facts = {
    reason: input.reason,
    previousVersion: undefined as string | undefined,
    clearedPendingVersions: [] as string[],
    revokedPrevious: false,
    announced: input.announce !== false,
  };
  audit.secretArn = input.secretId;
  audit.reason = input.reason;
  audit.note({ revokePrevious: input.revokePrevious === true });

  const description = await describeSecret(input.secretId, deadline);
  audit.identify(description);
  const rotationLambdaArn = description.rotationLambdaArn;
  if (!rotationLambdaArn) {
    throw new RotationError(`secret ${description.name} has no rotation function configured`, {
      action: 'Deploy the suite with this secret wired to its rotation function (template.yaml), then retry.',
    });
  }
  // RotateSecret would run, and the revoke would invoke, whatever function the secret names: only
  // the suite's own are trusted with the credential (IAM keys the grant on the same list).
  if (!suite.has(unqualifiedFunctionArn(rotationLambdaArn) ?? rotationLambdaArn)) {
    throw new WrongRotationFunctionError(
      `secret ${description.name} is wired to ${rotationLambdaArn}, which is not one of this suite's rotation functions; refused`,
      {
        action:
          "Wire the secret to the suite's rotation function of its kind (npm run wire), or rotate it with the tool that owns it.",
      },
    );
  }
  facts.previousVersion = versionWithStage(description, Stage.Current);

  // RotateSecret refuses while a crashed rotation holds AWSPENDING. Its setSecret may already
  // have applied that credential to the target, so keep it reachable as ROTATION_ABANDONED: the
  // next setSecret can still log in with it (single user, registered webhook token).
  // The label is on one version at a time: each move takes it from wherever the last one put it.
  let abandonedHolder = versionWithStage(description, Stage.Abandoned);
  for (const [versionId, stages] of Object.entries(description.versions)) {
    if (stages.includes(Stage.Pending) && !stages.includes(Stage.Current)) {
      await moveStage(description.arn, Stage.Abandoned, versionId, abandonedHolder, deadline);
      abandonedHolder = versionId;
      await removeStage(description.arn, Stage.Pending, versionId, deadline);
      facts.clearedPendingVersions.push(versionId);
    }
  }
  audit.note({ clearedPendingVersions: facts.clearedPendingVersions });

  const rotation = await secretsManager().send(
    new RotateSecretCommand({
      SecretId: description.arn,
      RotationLambdaARN: rotationLambdaArn,
      RotateImmediately: true,
    }),
    within(deadline, 'RotateSecret'),
  );
  const token = rotation.VersionId;
  if (!token) throw new RotationError('RotateSecret returned no version id');
  audit.version = token;
  await waitForPromotion(description.arn, token, wait, deadline);

  if (input.revokePrevious) {
    // The old AWSCURRENT is now AWSPREVIOUS: name it, so a rotation finishing meanwhile cannot
    // make the revoke hit a credential clients were just given.
    await invokeRevoke(rotationLambdaArn, description.arn, input.reason, deadline, facts.previousVersion);
    facts.revokedPrevious = true;
  }
  return {
    ...facts,
    outcome: 'succeeded',
    detail: facts.revokedPrevious
      ? 'rotated; the previous credential was revoked'
      : 'rotated; the previous credential still works',
  };
}
