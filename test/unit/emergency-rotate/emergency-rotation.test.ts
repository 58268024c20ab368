import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import {
  DescribeSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emergencyRotate } from '../../../functions/emergency-rotate/emergency-rotation';
import { captureOutput } from '../../support/capture';
import { SECRET_ARN, SECRET_NAME } from '../../support/mock-secrets';

const sm = mockClient(SecretsManagerClient);
const lambda = mockClient(LambdaClient);
const sns = mockClient(SNSClient);
const ROTATION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:postgres-rotation';
const NEW = 'n0000000-0000-4000-8000-000000000009';
const fast = { timeoutMs: 500, pollMs: 10 };
let output: ReturnType<typeof captureOutput>;

function describeAs(versions: Record<string, string[]>, rotationLambda: string | null = ROTATION_ARN) {
  return {
    ARN: SECRET_ARN,
    Name: SECRET_NAME,
    RotationEnabled: true,
    RotationLambdaARN: rotationLambda ?? undefined,
    VersionIdsToStages: versions,
  };
}

beforeEach(() => {
  sm.reset();
  lambda.reset();
  output = captureOutput();
  sm.on(RotateSecretCommand).resolves({ VersionId: NEW });
  process.env.SUITE_ROTATION_FUNCTION_ARNS = `${ROTATION_ARN},arn:aws:lambda:us-east-1:123456789012:function:redis-rotation`;
});
afterEach(() => {
  output.restore();
  delete process.env.SUITE_ROTATION_FUNCTION_ARNS;
});

describe('emergencyRotate', () => {
  it('refuses a secret wired to a function outside the suite, before rotating or invoking anything', async () => {
    const foreign = 'arn:aws:lambda:us-east-1:123456789012:function:someone-elses-rotation';
    sm.on(DescribeSecretCommand).resolves(describeAs({ c: ['AWSCURRENT'], p: ['AWSPREVIOUS'] }, foreign));
    await expect(
      emergencyRotate({ secretId: SECRET_ARN, reason: 'leak', revokePrevious: true }, fast),
    ).rejects.toMatchObject({
      name: 'WrongRotationFunctionError',
      retryable: false,
      message: `secret ${SECRET_NAME} is wired to ${foreign}, which is not one of this suite's rotation functions; refused`,
    });
    expect(sm.commandCalls(RotateSecretCommand)).toHaveLength(0);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
  });

  it("accepts the suite's function under an alias or version", async () => {
    sm.on(DescribeSecretCommand)
      .resolvesOnce(describeAs({ c: ['AWSCURRENT'] }, `${ROTATION_ARN}:live`))
      .resolves(describeAs({ c: ['AWSPREVIOUS'], [NEW]: ['AWSCURRENT'] }, `${ROTATION_ARN}:live`));
    await expect(emergencyRotate({ secretId: SECRET_ARN, reason: 'leak' }, fast)).resolves.toMatchObject({
      outcome: 'succeeded',
    });
  });

  it('rotates nothing without the list of suite functions', async () => {
    delete process.env.SUITE_ROTATION_FUNCTION_ARNS;
    sm.on(DescribeSecretCommand).resolves(describeAs({ c: ['AWSCURRENT'] }));
    await expect(emergencyRotate({ secretId: SECRET_ARN, reason: 'leak' }, fast)).rejects.toMatchObject({
      name: 'ConfigurationError',
      message: expect.stringContaining('SUITE_ROTATION_FUNCTION_ARNS is not set'),
    });
    process.env.SUITE_ROTATION_FUNCTION_ARNS = 'postgres-rotation';
    await expect(emergencyRotate({ secretId: SECRET_ARN, reason: 'leak' }, fast)).rejects.toThrow(
      /not Lambda function ARNs \(postgres-rotation\)/,
    );
    expect(sm.commandCalls(RotateSecretCommand)).toHaveLength(0);
  });

  it('refuses a secret with no rotation function, before rotating anything', async () => {
    sm.on(DescribeSecretCommand).resolves(describeAs({ c: ['AWSCURRENT'] }, null));
    await expect(emergencyRotate({ secretId: SECRET_ARN, reason: 'leak' }, fast)).rejects.toThrow(
      `secret ${SECRET_NAME} has no rotation function configured`,
    );
    expect(sm.commandCalls(RotateSecretCommand)).toHaveLength(0);
  });

  it('marks a stale AWSPENDING abandoned (its credential may be live), clears it, then rotates immediately', async () => {
    sm.on(DescribeSecretCommand)
      .resolvesOnce(describeAs({ c: ['AWSCURRENT'], older: ['ROTATION_ABANDONED'], stale: ['AWSPENDING'] }))
      .resolves(describeAs({ c: ['AWSPREVIOUS'], [NEW]: ['AWSCURRENT'] }));
    const report = await emergencyRotate({ secretId: SECRET_ARN, reason: 'leak' }, fast);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand).map((call) => call.args[0].input)).toEqual([
      {
        SecretId: SECRET_ARN,
        VersionStage: 'ROTATION_ABANDONED',
        MoveToVersionId: 'stale',
        RemoveFromVersionId: 'older',
      },
      { SecretId: SECRET_ARN, VersionStage: 'AWSPENDING', RemoveFromVersionId: 'stale' },
    ]);
    expect(sm.commandCalls(RotateSecretCommand)[0]?.args[0].input).toEqual({
      SecretId: SECRET_ARN,
      RotationLambdaARN: ROTATION_ARN,
      RotateImmediately: true,
    });
    expect(report).toMatchObject({
      outcome: 'succeeded',
      previousVersion: 'c',
      version: NEW,
      clearedPendingVersions: ['stale'],
    });
  });

  it('fails early when the rotation is abandoned (the new version loses AWSPENDING unpromoted)', async () => {
    sm.on(DescribeSecretCommand)
      .resolvesOnce(describeAs({ c: ['AWSCURRENT'] }))
      .resolves(describeAs({ c: ['AWSCURRENT'], [NEW]: [] }));
    await expect(emergencyRotate({ secretId: SECRET_ARN, reason: 'leak' }, fast)).rejects.toMatchObject({
      name: 'RotationAbandonedError',
    });
  });

  it('gives up at its deadline, not one poll interval later', async () => {
    sm.on(DescribeSecretCommand)
      .resolvesOnce(describeAs({ c: ['AWSCURRENT'] }))
      .resolves(describeAs({ c: ['AWSCURRENT'], [NEW]: ['AWSPENDING'] }));
    const started = Date.now();
    await expect(
      emergencyRotate({ secretId: SECRET_ARN, reason: 'leak' }, { timeoutMs: 100, pollMs: 60_000 }),
    ).rejects.toMatchObject({ name: 'RotationTimeoutError' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('reports a revoke that failed in the rotation function, with what to do', async () => {
    sm.on(DescribeSecretCommand)
      .resolvesOnce(describeAs({ c: ['AWSCURRENT'] }))
      .resolves(describeAs({ c: ['AWSPREVIOUS'], [NEW]: ['AWSCURRENT'] }));
    lambda.on(InvokeCommand).resolves({
      FunctionError: 'Unhandled',
      // The SDK wraps payload bytes in a blob adapter; the function only reads the bytes.
      Payload: new TextEncoder().encode(
        JSON.stringify({ errorType: 'TargetUnreachableError', errorMessage: 'db down' }),
      ) as InvokeCommandOutput['Payload'],
    });
    await expect(
      emergencyRotate({ secretId: SECRET_ARN, reason: 'leak', revokePrevious: true }, fast),
    ).rejects.toMatchObject({
      name: 'RevokeFailedError',
      message:
        'revoking the previous credential failed in the rotation function (TargetUnreachableError: db down)',
    });
    const payload = JSON.parse(
      new TextDecoder().decode(lambda.commandCalls(InvokeCommand)[0]?.args[0].input.Payload as Uint8Array),
    );
    // The version the emergency demoted: the revoke is refused if another rotation moved it.
    expect(payload).toEqual({
      Action: 'revokePrevious',
      SecretId: SECRET_ARN,
      Reason: 'leak',
      PreviousVersionId: 'c',
    });
  });

  it.each([
    ['a stub answer', 'Simple Lambda happy path OK'],
    ['another step', { step: 'finishSecret', outcome: 'succeeded' }],
    ['a skipped revoke', { step: 'revokePrevious', outcome: 'skipped' }],
    ['nothing', null],
  ])(
    'reports a revoke as failed when the rotation function answers %s instead of confirming it',
    async (_, answer) => {
      sm.on(DescribeSecretCommand)
        .resolvesOnce(describeAs({ c: ['AWSCURRENT'] }))
        .resolves(describeAs({ c: ['AWSPREVIOUS'], [NEW]: ['AWSCURRENT'] }));
      lambda.on(InvokeCommand).resolves({
        StatusCode: 200,
        Payload: new TextEncoder().encode(JSON.stringify(answer)) as InvokeCommandOutput['Payload'],
      });
      await expect(
        emergencyRotate({ secretId: SECRET_ARN, reason: 'leak', revokePrevious: true }, fast),
      ).rejects.toMatchObject({
        name: 'RevokeFailedError',
        message: `${ROTATION_ARN} answered without an error but did not confirm the revoke (expected its report with step revokePrevious, outcome succeeded)`,
      });
    },
  );

  it('reports the revoke done when the rotation function confirms it', async () => {
    sm.on(DescribeSecretCommand)
      .resolvesOnce(describeAs({ c: ['AWSCURRENT'] }))
      .resolves(describeAs({ c: ['AWSPREVIOUS'], [NEW]: ['AWSCURRENT'] }));
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      Payload: new TextEncoder().encode(
        JSON.stringify({ step: 'revokePrevious', outcome: 'succeeded', version: 'c', kind: 'postgres' }),
      ) as InvokeCommandOutput['Payload'],
    });
    const report = await emergencyRotate(
      { secretId: SECRET_ARN, reason: 'leak', revokePrevious: true },
      fast,
    );
    expect(report).toMatchObject({ outcome: 'succeeded', revokedPrevious: true });
  });

  it.each([
    [{}, 1],
    [{ announce: true }, 1],
    // A fleet run (npm run emergency --match) sends one summary instead of a notice per secret.
    [{ announce: false }, 0],
  ])('with %j, announces its success on the alert topic %i time(s)', async (extra, notices) => {
    sns.reset();
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    process.env.ALERT_TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:alerts';
    try {
      sm.on(DescribeSecretCommand)
        .resolvesOnce(describeAs({ c: ['AWSCURRENT'] }))
        .resolves(describeAs({ c: ['AWSPREVIOUS'], [NEW]: ['AWSCURRENT'] }));
      const report = await emergencyRotate({ secretId: SECRET_ARN, reason: 'leak', ...extra }, fast);
      expect(report).toMatchObject({ outcome: 'succeeded', announced: notices === 1 });
      expect(sns.commandCalls(PublishCommand)).toHaveLength(notices);
    } finally {
      delete process.env.ALERT_TOPIC_ARN;
    }
  });

  it.each([
    [{ secretId: SECRET_ARN }, /`reason` is required/],
    [{ secretId: SECRET_ARN, reason: ' ' }, /`reason` must not be empty/],
    [{ reason: 'leak' }, /`secretId` is required/],
    [{ secretId: SECRET_ARN, reason: 'leak', revokePrevious: 'yes' }, /`revokePrevious` must be a boolean/],
    [{ secretId: SECRET_ARN, reason: 'leak', announce: 'no' }, /`announce` must be a boolean/],
  ])('refuses %j', async (input, message) => {
    await expect(emergencyRotate(input, fast)).rejects.toThrow(message);
    expect(sm.calls()).toHaveLength(0);
  });
});
