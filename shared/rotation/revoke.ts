import { versionWithStage } from '../secrets/describe';
import type { SecretDescription } from '../secrets/describe';
import { Stage } from '../secrets/stages';
import { RotationError, SecretVersionMissingError } from './errors';
import type { Rotator } from './rotator';
import { StepContext } from './step-context';

/**
 * Emergency: make the AWSPREVIOUS credential stop working now, through the rotator that knows the
 * target. Run after a completed rotation, so the new AWSCURRENT is already proven.
 */
export async function revokePrevious<S>(
  rotator: Rotator<S>,
  description: SecretDescription,
): Promise<{ ctx: StepContext<S>; previousVersion: string }> {
  const previousVersion = versionWithStage(description, Stage.Previous);
  if (!previousVersion) {
    throw new SecretVersionMissingError(`secret ${description.name} has no AWSPREVIOUS version to revoke`);
  }
  if (!rotator.revoke) {
    throw new RotationError(
      `${rotator.kind} secrets have no revoke: the previous credential cannot be disabled here`,
    );
  }
  const currentVersion = versionWithStage(description, Stage.Current) ?? previousVersion;
  const ctx = new StepContext(rotator, description, currentVersion, 'revokePrevious');
  const previous = await ctx.previous();
  if (previous === undefined) {
    throw new SecretVersionMissingError(`secret ${description.name} AWSPREVIOUS has no value`);
  }
  await rotator.revoke(previous, ctx);
  return { ctx, previousVersion };
}
