import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DescribeSecretCommand,
  type DescribeSecretCommandOutput,
  GetSecretValueCommand,
} from '@aws-sdk/client-secrets-manager';
import { WireError } from './errors';

/** A secret as wire sees it: its identity, tags and rotation configuration. */
export interface DescribedSecret {
  arn: string;
  name: string;
  tags: Record<string, string>;
  rotationEnabled: boolean;
  rotationLambdaArn?: string;
  versions: Record<string, string[]>;
  description: DescribeSecretCommandOutput;
}

export async function describe(sm: SecretsManagerClient, secretId: string): Promise<DescribedSecret> {
  let out: DescribeSecretCommandOutput;
  try {
    out = await sm.send(new DescribeSecretCommand({ SecretId: secretId }));
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException')
      throw new WireError(`no secret ${secretId} in this account and region (check the name and AWS_REGION)`);
    throw error;
  }
  return {
    arn: out.ARN ?? secretId,
    name: out.Name ?? secretId,
    tags: Object.fromEntries((out.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? ''])),
    rotationEnabled: out.RotationEnabled === true,
    ...(out.RotationLambdaARN ? { rotationLambdaArn: out.RotationLambdaARN } : {}),
    versions: out.VersionIdsToStages ?? {},
    description: out,
  };
}

/** `{org}/{component}/{env}/{type}` -> org and env; undefined for a name outside the convention. */
export function stackOfName(name: string): { org: string; env: string } | undefined {
  const segments = name.split('/');
  if (segments.length !== 4 || segments.some((segment) => segment === '')) return undefined;
  return { org: segments[0] as string, env: segments[2] as string };
}

/**
 * The AWSCURRENT value as JSON, or the problem with it, in words that never quote the value (a
 * JSON.parse message would show a piece of it).
 */
export async function currentJson(
  sm: SecretsManagerClient,
  secretId: string,
): Promise<{ value: unknown } | { problem: string }> {
  const out = await sm.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' }));
  if (out.SecretString === undefined) return { problem: 'it holds no SecretString (a binary secret?)' };
  try {
    return { value: JSON.parse(out.SecretString) as unknown };
  } catch {
    return { problem: 'its SecretString is not JSON' };
  }
}
