import { rememberSecretFields } from '../observability/redaction';
import type { SecretDescription } from '../secrets/describe';
import { versionWithStage } from '../secrets/describe';
import { Stage } from '../secrets/stages';
import { promoteToCurrent, putPendingValue, removeStage } from '../secrets/versions';
import { RotationNotEnabledError, VersionNotStagedError } from '../errors';
import type { RotationStep } from './event';
import type { StepContext } from './step-context';

/**
 * Secrets Manager's rotation protocol, the part that is the same for every kind: the staging guards
 * every step passes first, then the four steps, each calling the rotator for what touches the target.
 */

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

/** What a step did, for the audit line ("stored a new pending value", "promoted"...). */
export type StepResult = string;

/**
 * createSecret keeps an existing AWSPENDING value for this token and never regenerates it: a retry
 * after a crash must not mint a second credential (Zoho counts every token minted).
 */
async function createSecret<S>(ctx: StepContext<S>, rotationToken?: string): Promise<StepResult> {
  if ((await ctx.pendingIfStored()) !== undefined) return 'kept the existing pending value';

  const pending = await ctx.rotator.create(await ctx.current(), ctx);
  const serialized = JSON.stringify(pending);
  rememberSecretFields(pending, serialized);
  // Validate what we are about to store with the same schema every later step reads it with.
  ctx.rotator.parse(JSON.parse(serialized));

  const outcome = await putPendingValue(ctx.secretArn, ctx.versionId, serialized, {
    ...(rotationToken ? { rotationToken } : {}),
    deadline: ctx.deadline,
  });
  return outcome === 'stored'
    ? 'stored a new pending value'
    : 'a concurrent invocation stored the pending value first; kept it';
}

async function setSecret<S>(ctx: StepContext<S>): Promise<StepResult> {
  await ctx.rotator.set(await ctx.pending(), ctx);
  return 'target accepts the pending credential';
}

async function testSecret<S>(ctx: StepContext<S>): Promise<StepResult> {
  await ctx.rotator.test(await ctx.pending(), ctx);
  return 'pending credential works';
}

/**
 * finishSecret promotes only a version that holds a valid value (an empty AWSPENDING promoted would
 * leave every client without a credential), after the rotator has retired what is older than the
 * current credential. A promotion refused because it had already happened (its reply was lost and
 * the SDK retried, or a concurrent finishSecret got there first) is a success: the labels decide.
 */
async function finishSecret<S>(ctx: StepContext<S>): Promise<StepResult> {
  const pending = await ctx.pending();
  await ctx.rotator.finish?.(pending, ctx);
  const { secretArn, versionId, description, deadline } = ctx;
  const promotion = await promoteToCurrent(
    secretArn,
    versionId,
    versionWithStage(description, Stage.Current),
    deadline,
  );
  // With a new credential current, an abandoned rotation's credential is of no further use.
  const abandoned = versionWithStage(description, Stage.Abandoned);
  if (abandoned) await removeStage(secretArn, Stage.Abandoned, abandoned, deadline);
  if (promotion === 'already-done') {
    ctx.annotate({ promotion: 'found already done when the labels were re-read' });
    return 'the pending version was already AWSCURRENT (a lost reply or a concurrent finishSecret)';
  }
  return 'promoted the pending version to AWSCURRENT';
}

export function runStep<S>(
  step: RotationStep,
  ctx: StepContext<S>,
  rotationToken?: string,
): Promise<StepResult> {
  switch (step) {
    case 'createSecret':
      return createSecret(ctx, rotationToken);
    case 'setSecret':
      return setSecret(ctx);
    case 'testSecret':
      return testSecret(ctx);
    case 'finishSecret':
      return finishSecret(ctx);
  }
}
