import {
  GetFunctionConfigurationCommand,
  InvokeCommand,
  type InvokeCommandOutput,
  LambdaClient,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { alertTopicOf, deployedInvoker } from '../../../ops/emergency/deployed';
import { FunctionError } from '../../../ops/emergency/fleet';

/** The deployed path's answers as Lambda gives them: a report, a function error, throttling. */
const lambda = mockClient(LambdaClient);
const encode = (value: unknown) =>
  new TextEncoder().encode(JSON.stringify(value)) as InvokeCommandOutput['Payload'];
const request = {
  secretId: 'arn:aws:secretsmanager:eu-west-1:1:secret:x',
  reason: 'drill',
  revokePrevious: false,
  announce: false,
};

beforeEach(() => lambda.reset());

describe('the deployed emergency invoker', () => {
  it('sends the request to the named function and returns its report', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode({ outcome: 'succeeded' }) });
    await expect(deployedInvoker('sergas-prod-emergency-rotate')(request, 0)).resolves.toEqual({
      outcome: 'succeeded',
    });
    const input = lambda.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(input?.FunctionName).toBe('sergas-prod-emergency-rotate');
    expect(JSON.parse(new TextDecoder().decode(input?.Payload as Uint8Array))).toEqual(request);
  });

  it("turns a function error into the function's error type and message, pointing at its logs", async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: encode({ errorType: 'RotationTimeoutError', errorMessage: 'did not complete within 600 s' }),
    });
    const failure = deployedInvoker('sergas-prod-emergency-rotate')(request, 0);
    await expect(failure).rejects.toBeInstanceOf(FunctionError);
    await expect(failure).rejects.toMatchObject({
      errorType: 'RotationTimeoutError',
      message: 'did not complete within 600 s',
      action: expect.stringContaining('/aws/lambda/sergas-prod-emergency-rotate'),
    });
  });

  it('says to lower --concurrency when Lambda throttles the invocation', async () => {
    lambda
      .on(InvokeCommand)
      .rejects(Object.assign(new Error('Rate Exceeded.'), { name: 'TooManyRequestsException' }));
    await expect(deployedInvoker('f')(request, 0)).rejects.toMatchObject({
      errorType: 'TooManyRequestsException',
      action: expect.stringContaining('lower --concurrency'),
    });
  });

  it("finds the alert topic in the function's environment", async () => {
    lambda.on(GetFunctionConfigurationCommand).resolves({
      Environment: { Variables: { ALERT_TOPIC_ARN: 'arn:aws:sns:eu-west-1:1:sergas-prod-alerts' } },
    });
    await expect(alertTopicOf('f')).resolves.toBe('arn:aws:sns:eu-west-1:1:sergas-prod-alerts');
    lambda.on(GetFunctionConfigurationCommand).resolves({ Environment: { Variables: {} } });
    await expect(alertTopicOf('f')).resolves.toBeUndefined();
  });
});
