import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { rememberSecret } from '../observability/redaction';
import { secretsManager } from './client';
import { cachedVersion, cacheVersion } from './version-cache';
import { Stage } from './stages';

export interface VersionRead {
  versionId: string;
  stage: Stage;
  /** True when the value came from this container's cache instead of an API call. */
  cached: boolean;
}

/**
 * Read one version's SecretString, always naming both VersionId and VersionStage: no reader ever
 * gets "whatever is current" by accident, and the service refuses if the label moved meanwhile.
 * A cache hit skips that label check (a version's value never changes, so only the label could be
 * stale): callers pick the version id from this invocation's DescribeSecret, which is where the
 * labels are checked. Returns undefined when that version has no value yet (an AWSPENDING label
 * before createSecret).
 */
export async function readVersion(
  secretArn: string,
  versionId: string,
  stage: Stage,
  onRead?: (read: VersionRead) => void,
): Promise<string | undefined> {
  const cached = cachedVersion(secretArn, versionId);
  if (cached !== undefined) {
    onRead?.({ versionId, stage, cached: true });
    return cached;
  }
  try {
    const out = await secretsManager().send(
      new GetSecretValueCommand({ SecretId: secretArn, VersionId: versionId, VersionStage: stage }),
    );
    onRead?.({ versionId, stage, cached: false });
    if (out.SecretString === undefined) return undefined;
    rememberSecret(out.SecretString);
    cacheVersion(secretArn, versionId, out.SecretString);
    return out.SecretString;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) {
      onRead?.({ versionId, stage, cached: false });
      return undefined;
    }
    throw error;
  }
}

/** Read the AWSCURRENT value of another secret (a master or admin credential), by explicit stage. */
export async function readCurrentOf(secretId: string): Promise<string | undefined> {
  try {
    const out = await secretsManager().send(
      new GetSecretValueCommand({ SecretId: secretId, VersionStage: Stage.Current }),
    );
    rememberSecret(out.SecretString);
    return out.SecretString;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

export type PutOutcome = 'stored' | 'already-stored';

/**
 * Store the pending value under the rotation's token. With the same token and value the call is
 * idempotent; with a different value the service answers ResourceExists, meaning a concurrent
 * invocation stored its own pending value first. That one wins, ours is dropped.
 */
export async function putPendingValue(
  secretArn: string,
  token: string,
  value: string,
  rotationToken?: string,
): Promise<PutOutcome> {
  rememberSecret(value);
  try {
    await secretsManager().send(
      new PutSecretValueCommand({
        SecretId: secretArn,
        ClientRequestToken: token,
        SecretString: value,
        VersionStages: [Stage.Pending],
        ...(rotationToken ? { RotationToken: rotationToken } : {}),
      }),
    );
    cacheVersion(secretArn, token, value);
    return 'stored';
  } catch (error) {
    if (error instanceof ResourceExistsException) return 'already-stored';
    throw error;
  }
}

/** Move a label to `toVersionId`, taking it off `fromVersionId` (the version holding it, if any). */
export async function moveStage(
  secretArn: string,
  stage: Stage,
  toVersionId: string,
  fromVersionId: string | undefined,
): Promise<void> {
  await secretsManager().send(
    new UpdateSecretVersionStageCommand({
      SecretId: secretArn,
      VersionStage: stage,
      MoveToVersionId: toVersionId,
      ...(fromVersionId && fromVersionId !== toVersionId ? { RemoveFromVersionId: fromVersionId } : {}),
    }),
  );
}

/** Move AWSCURRENT to `token`; the service moves AWSPREVIOUS to the version that held it. */
export async function promoteToCurrent(
  secretArn: string,
  token: string,
  currentVersionId: string | undefined,
): Promise<void> {
  await moveStage(secretArn, Stage.Current, token, currentVersionId);
}

/** Take a staging label off one version (a stale AWSPENDING, a revoked AWSPREVIOUS). */
export async function removeStage(secretArn: string, stage: Stage, versionId: string): Promise<void> {
  await secretsManager().send(
    new UpdateSecretVersionStageCommand({
      SecretId: secretArn,
      VersionStage: stage,
      RemoveFromVersionId: versionId,
    }),
  );
}
