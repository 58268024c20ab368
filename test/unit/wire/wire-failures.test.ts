import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { reportFailure } from '../../../ops/wire/cli';
import { PartialWireError, SecretFormatRefusedError, StackLookupError } from '../../../ops/wire/errors';
import { wire } from '../../../ops/wire/wire';

/**
 * What moto cannot show: AWS answering with an error half-way, a value that is not JSON, a stack
 * that is not there. Each failure says what was done and what to do, and never quotes a value.
 */
const sm = mockClient(SecretsManagerClient);
const cfn = mockClient(CloudFormationClient);
const NAME = 'sergas/webhook/prod/bearer_token';
const ARN = `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${NAME}-AbCdEf`;
const FUNCTION = 'arn:aws:lambda:eu-west-1:123456789012:function:sergas-prod-webhook-bearer-rotation';
const TOKEN = 'tok_secret_value_0123456789abcdef';

beforeEach(() => {
  sm.reset();
  cfn.reset();
  sm.on(DescribeSecretCommand).resolves({ ARN, Name: NAME, Tags: [] });
  sm.on(GetSecretValueCommand).resolves({
    SecretString: JSON.stringify({ token: TOKEN, verify_url: 'https://hooks.example.com/verify' }),
  });
  cfn.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'sergas-prod-rotation-suite',
        CreationTime: new Date(),
        StackStatus: 'UPDATE_COMPLETE',
        Parameters: [
          { ParameterKey: 'Org', ParameterValue: 'sergas' },
          { ParameterKey: 'Environment', ParameterValue: 'prod' },
        ],
        Outputs: [{ OutputKey: 'WebhookBearerRotationFunctionArn', OutputValue: FUNCTION }],
      },
    ],
  });
});

const lines: string[] = [];
const say = (line: string) => lines.push(line);

describe('wire, when AWS fails', () => {
  it('stops at a failed RotateSecret and says the tags were already written, and that it is safe to re-run', async () => {
    sm.on(TagResourceCommand).resolves({});
    sm.on(RotateSecretCommand).rejects(
      Object.assign(new Error('User is not authorized to perform: lambda:InvokeFunction'), {
        name: 'AccessDeniedException',
      }),
    );
    const failure = await wire({ secretId: NAME, kind: 'webhook-bearer', say }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PartialWireError);
    const message = (failure as Error).message;
    expect(message).toMatch(
      /^RotateSecret sergas\/webhook\/prod\/bearer_token with sergas-prod-webhook-bearer-rotation/,
    );
    expect(message).toContain(
      'AccessDeniedException: User is not authorized to perform: lambda:InvokeFunction',
    );
    expect(message).toContain(
      'already done:\n  - tag sergas/webhook/prod/bearer_token rotation-suite=sergas-prod',
    );
    expect(message).toContain('run the same command again');
    expect(reportFailure(failure, () => undefined)).toBe(1);
    expect(sm.commandCalls(RotateSecretCommand)[0]?.args[0].input).toEqual({
      SecretId: ARN,
      RotationLambdaARN: FUNCTION,
      RotationRules: { ScheduleExpression: 'rate(30 days)', Duration: '4h' },
      RotateImmediately: false,
    });
  });

  it('refuses a value that is not JSON without quoting it', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: `token=${TOKEN}` });
    const failure = await wire({ secretId: NAME, kind: 'webhook-bearer', say }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SecretFormatRefusedError);
    expect((failure as Error).message).toContain('its SecretString is not JSON');
    expect((failure as Error).message).not.toContain(TOKEN);
    expect(sm.commandCalls(TagResourceCommand)).toHaveLength(0);
  });

  it('names the stack it looked for when there is none, and exits 1 (3 for an AWS error it cannot explain)', async () => {
    cfn.on(DescribeStacksCommand).rejects(
      Object.assign(new Error('Stack with id sergas-prod-rotation-suite does not exist'), {
        name: 'ValidationError',
      }),
    );
    const failure = await wire({ secretId: NAME, kind: 'webhook-bearer', say }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(StackLookupError);
    expect((failure as Error).message).toContain('no stack sergas-prod-rotation-suite');
    expect((failure as Error).message).toContain('sam deploy --config-env');
    expect(reportFailure(failure, () => undefined)).toBe(1);
    expect(
      reportFailure(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }), () => undefined),
    ).toBe(3);
  });

  it('refuses a stack without the output it needs (an older template)', async () => {
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'sergas-prod-rotation-suite',
          CreationTime: new Date(),
          StackStatus: 'UPDATE_COMPLETE',
          Parameters: [
            { ParameterKey: 'Org', ParameterValue: 'sergas' },
            { ParameterKey: 'Environment', ParameterValue: 'prod' },
          ],
          Outputs: [],
        },
      ],
    });
    await expect(wire({ secretId: NAME, kind: 'webhook-bearer', say })).rejects.toThrow(
      'stack sergas-prod-rotation-suite has no output WebhookBearerRotationFunctionArn: deploy the current template.yaml',
    );
  });
});
