import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { type Deadline, noDeadline } from '../net/deadline';
import { rememberDocument } from '../observability/redaction';
import { secretsManager, within } from './client';
import { describeSecret, hasStage, type SecretDescription } from './describe';
import { cachedVersion, cacheVersion } from './version-cache';
import { Stage } from './stages';

export interface ReadOptions {
  /** Told of every read (cached or not), for the audit line. */
  onRead?: (read: VersionRead) => void;
  deadline?: Deadline;
}

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
  { onRead, deadline = noDeadline() }: ReadOptions = {},
): Promise<string | undefined> {
  const cached = cachedVersion(secretArn, versionId);
  if (cached !== undefined) {
    // Remembered again: what is remembered belongs to one invocation, the cache outlives it.
    rememberDocument(cached);
    onRead?.({ versionId, stage, cached: true });
    return cached;
  }
  try {
    const out = await secretsManager().send(
      new GetSecretValueCommand({ SecretId: secretArn, VersionId: versionId, VersionStage: stage }),
      within(deadline, `GetSecretValue (${stage})`),
    );
    onRead?.({ versionId, stage, cached: false });
    if (out.SecretString === undefined) return undefined;
    rememberDocument(out.SecretString);
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
export async function readCurrentOf(
  secretId: string,
  deadline: Deadline = noDeadline(),
): Promise<string | undefined> {
  try {
    const out = await secretsManager().send(
      new GetSecretValueCommand({ SecretId: secretId, VersionStage: Stage.Current }),
      within(deadline, `GetSecretValue (AWSCURRENT of ${secretId})`),
    );
    rememberDocument(out.SecretString);
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
  { rotationToken, deadline = noDeadline() }: { rotationToken?: string; deadline?: Deadline } = {},
): Promise<PutOutcome> {
  rememberDocument(value);
  try {
    await secretsManager().send(
      new PutSecretValueCommand({
        SecretId: secretArn,
        ClientRequestToken: token,
        SecretString: value,
        VersionStages: [Stage.Pending],
        ...(rotationToken ? { RotationToken: rotationToken } : {}),
      }),
      within(deadline, 'PutSecretValue (AWSPENDING)'),
    );
    cacheVersion(secretArn, token, value);
    return 'stored';
  } catch (error) {
    if (error instanceof ResourceExistsException) return 'already-stored';
    throw error;
  }
}

/** What a label change found: done by this call, or already in place when the labels were re-read. */
export type LabelOutcome = 'changed' | 'already-done';

/**
 * Send a label change; if it fails, re-read the labels and report `already-done` when they already
 * say what the change was for. A lost reply makes the SDK retry a change that happened, and the
 * retry is refused ("Version stage AWSCURRENT not found in version <old>"); a concurrent invocation
 * making the same change gets the same answer. Either way the labels, not the error, tell.
 */
async function changeLabels(
  secretArn: string,
  input: { VersionStage: Stage; MoveToVersionId?: string; RemoveFromVersionId?: string },
  settled: (description: SecretDescription) => boolean,
  deadline: Deadline,
): Promise<LabelOutcome> {
  try {
    await secretsManager().send(
      new UpdateSecretVersionStageCommand({ SecretId: secretArn, ...input }),
      within(deadline, `UpdateSecretVersionStage (${input.VersionStage})`),
    );
    return 'changed';
  } catch (error) {
    if (deadline.signal.aborted) throw error;
    const description = await describeSecret(secretArn, deadline).catch(() => undefined);
    if (description && settled(description)) return 'already-done';
    throw error;
  }
}

/** Move a label to `toVersionId`, taking it off `fromVersionId` (the version holding it, if any). */
export function moveStage(
  secretArn: string,
  stage: Stage,
  toVersionId: string,
  fromVersionId: string | undefined,
  deadline: Deadline = noDeadline(),
): Promise<LabelOutcome> {
  const removeFrom = fromVersionId && fromVersionId !== toVersionId ? fromVersionId : undefined;
  return changeLabels(
    secretArn,
    {
      VersionStage: stage,
      MoveToVersionId: toVersionId,
      ...(removeFrom ? { RemoveFromVersionId: removeFrom } : {}),
    },
    (description) =>
      hasStage(description, toVersionId, stage) &&
      (removeFrom === undefined || !hasStage(description, removeFrom, stage)),
    deadline,
  );
}

/**
 * Move AWSCURRENT to `token`; the service moves AWSPREVIOUS to the version that held it.
 * `already-done`: the token was already AWSCURRENT when the labels were re-read after a refusal
 * (the reply to this promotion was lost, or a concurrent finishSecret promoted it).
 */
export function promoteToCurrent(
  secretArn: string,
  token: string,
  currentVersionId: string | undefined,
  deadline: Deadline = noDeadline(),
): Promise<LabelOutcome> {
  return moveStage(secretArn, Stage.Current, token, currentVersionId, deadline);
}

/** Take a staging label off one version (a stale AWSPENDING, a revoked AWSPREVIOUS). */
export function removeStage(
  secretArn: string,
  stage: Stage,
  versionId: string,
  deadline: Deadline = noDeadline(),
): Promise<LabelOutcome> {
  return changeLabels(
    secretArn,
    { VersionStage: stage, RemoveFromVersionId: versionId },
    (description) => !hasStage(description, versionId, stage),
    deadline,
  );
}
