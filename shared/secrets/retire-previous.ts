import { constantTimeEqual } from '../credentials/compare';
import { RotationError, SecretVersionMissingError } from '../errors';
import { type Deadline, noDeadline } from '../net/deadline';
import { describeSecret, versionWithStage } from './describe';
import { Stage } from './stages';
import { readVersion, removeStage } from './versions';

/**
 * Revoke for secrets whose consumers accept credentials by label (bearer tokens checked with
 * @secret-rotation-suite/consumer's BearerVerifier): taking AWSPREVIOUS off the previous version is what makes its
 * token stop working, once each verifier's cache re-reads the labels (or is invalidated).
 *
 * `isExpected` checks the version about to lose its label holds the credential the core asked to
 * revoke: if a rotation completed in between, AWSPREVIOUS now marks a newer credential that clients
 * may still use, and revoking it would cut them off. Returns the version id that lost the label.
 */
export async function retirePreviousVersion(
  secretArn: string,
  isExpected: (value: string) => boolean,
  deadline: Deadline = noDeadline(),
): Promise<string> {
  const description = await describeSecret(secretArn, deadline);
  const versionId = versionWithStage(description, Stage.Previous);
  if (!versionId) {
    throw new SecretVersionMissingError(`secret ${description.name} has no AWSPREVIOUS version to revoke`);
  }
  // Usually served from the container's version cache: the core has just read this version.
  const value = await readVersion(secretArn, versionId, Stage.Previous, { deadline });
  if (value === undefined || !isExpected(value)) {
    throw new RotationError(
      `secret ${description.name}: AWSPREVIOUS moved to version ${versionId} while revoking; nothing was changed`,
      {
        retryable: true,
        action: 'Another rotation finished meanwhile. Check the secret history, then revoke again if needed.',
      },
    );
  }
  await removeStage(secretArn, Stage.Previous, versionId, deadline);
  return versionId;
}

/** For `isExpected`: the version's JSON holds `token` under `field` (compared in constant time). */
export function holdsToken(token: string, field = 'token'): (value: string) => boolean {
  return (value) => {
    let json: unknown;
    try {
      json = JSON.parse(value);
    } catch {
      return false;
    }
    if (json === null || typeof json !== 'object') return false;
    const stored = (json as Record<string, unknown>)[field];
    return typeof stored === 'string' && constantTimeEqual(stored, token);
  };
}
