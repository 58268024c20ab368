import type {
  SecretsManagerClientResolvedConfig,
  ServiceInputTypes,
  ServiceOutputTypes,
} from '@aws-sdk/client-secrets-manager';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-secrets-manager';
import type { AwsStub } from 'aws-sdk-client-mock';

export const SECRET_ARN =
  'arn:aws:secretsmanager:us-east-1:123456789012:secret:sergas/test/dev/password-AbCdEf';
export const SECRET_NAME = 'sergas/test/dev/password';
export const CURRENT_ID = 'c0000000-0000-4000-8000-000000000001';
export const PREVIOUS_ID = 'p0000000-0000-4000-8000-000000000002';
export const TOKEN = 't0000000-0000-4000-8000-000000000003';

/** The rotation function the fake secret is wired to (its RotationLambdaARN) unless a test says otherwise. */
export const ROTATION_FUNCTION_ARN =
  'arn:aws:lambda:us-east-1:123456789012:function:sergas-dev-test-rotation';

export type SecretsMock = AwsStub<ServiceInputTypes, ServiceOutputTypes, SecretsManagerClientResolvedConfig>;

export interface FakeSecretState {
  rotationEnabled?: boolean;
  /** RotationLambdaARN; default ROTATION_FUNCTION_ARN, null for a secret never wired for rotation. */
  rotationLambdaArn?: string | null;
  versions: Record<string, string[]>;
  /** VersionId -> SecretString; a staged version without an entry has no value yet. */
  values: Record<string, string>;
}

/**
 * Answer DescribeSecret and GetSecretValue from a small fake of one secret, the way the service
 * does: GetSecretValue needs the stage on that version and a stored value, or it is ResourceNotFound.
 */
export function mockSecret(mock: SecretsMock, state: FakeSecretState): void {
  mock.on(DescribeSecretCommand).callsFake(async () => ({
    ARN: SECRET_ARN,
    Name: SECRET_NAME,
    RotationEnabled: state.rotationEnabled ?? true,
    ...(state.rotationLambdaArn === null
      ? {}
      : { RotationLambdaARN: state.rotationLambdaArn ?? ROTATION_FUNCTION_ARN }),
    VersionIdsToStages: state.versions,
  }));
  mock.on(GetSecretValueCommand).callsFake(async (input: { VersionId?: string; VersionStage?: string }) => {
    const versionId =
      input.VersionId ??
      Object.entries(state.versions).find(([, stages]) => stages.includes(input.VersionStage ?? ''))?.[0];
    const value = versionId ? state.values[versionId] : undefined;
    const staged =
      versionId && (!input.VersionStage || state.versions[versionId]?.includes(input.VersionStage));
    if (!value || !staged) {
      throw new ResourceNotFoundException({ message: 'not found', $metadata: {} });
    }
    return { ARN: SECRET_ARN, VersionId: versionId, SecretString: value };
  });
}
