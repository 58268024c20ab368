import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { type Deadline, noDeadline } from '../net/deadline';
import { secretsManager, within } from './client';
import type { Stage } from './stages';

/** What the suite needs from DescribeSecret, with the SDK's optional fields settled. */
export interface SecretDescription {
  arn: string;
  name: string;
  rotationEnabled: boolean;
  rotationLambdaArn: string | undefined;
  rotationDays: number | undefined;
  lastRotatedDate: Date | undefined;
  lastChangedDate: Date | undefined;
  createdDate: Date | undefined;
  /** VersionId -> staging labels. */
  versions: Readonly<Record<string, readonly string[]>>;
  tags: Readonly<Record<string, string>>;
}

export async function describeSecret(
  secretId: string,
  deadline: Deadline = noDeadline(),
): Promise<SecretDescription> {
  const out = await secretsManager().send(
    new DescribeSecretCommand({ SecretId: secretId }),
    within(deadline, 'DescribeSecret'),
  );
  return {
    arn: out.ARN ?? secretId,
    name: out.Name ?? secretId,
    rotationEnabled: out.RotationEnabled === true,
    rotationLambdaArn: out.RotationLambdaARN,
    rotationDays: out.RotationRules?.AutomaticallyAfterDays,
    lastRotatedDate: out.LastRotatedDate,
    lastChangedDate: out.LastChangedDate,
    createdDate: out.CreatedDate,
    versions: out.VersionIdsToStages ?? {},
    tags: Object.fromEntries((out.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? ''])),
  };
}

/** The version carrying `stage`, if any. */
export function versionWithStage(description: SecretDescription, stage: Stage): string | undefined {
  return Object.entries(description.versions).find(([, stages]) => stages.includes(stage))?.[0];
}

export function hasStage(description: SecretDescription, versionId: string, stage: Stage): boolean {
  return description.versions[versionId]?.includes(stage) === true;
}
