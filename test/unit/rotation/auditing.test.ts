import {
  InvalidParameterException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { forgetSecrets } from '../../../shared/observability/redaction';
import { createRotationHandler, runRotationStep } from '../../../shared/rotation/invocation';
import { clearVersionCache } from '../../../shared/secrets/version-cache';
import { captureOutput } from '../../support/capture';
import {
  CURRENT_ID,
  type FakeSecretState,
  mockSecret,
  SECRET_ARN,
  SECRET_NAME,
  TOKEN,
} from '../../support/mock-secrets';
import { createTestRotator, InMemoryTarget } from '../../support/test-rotator';

const sm = mockClient(SecretsManagerClient);
const sns = mockClient(SNSClient);
const CURRENT = { username: 'app', password: 'current-password-Aa1!' };
const PENDING = { username: 'app', password: 'pending-password-Bb2!' };
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:rotation-alerts';

let state: FakeSecretState;
let output: ReturnType<typeof captureOutput>;

/** A Lambda context whose deadline is `remainingMs` from now. */
function lambdaContext(remainingMs: number) {
  const deadline = Date.now() + remainingMs;
  return {
    functionName: 'postgres-rotation',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:postgres-rotation',
    memoryLimitInMB: '256',
    awsRequestId: 'request-1',
    logGroupName: '/aws/lambda/postgres-rotation',
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

const event = (Step: string) => ({ SecretId: SECRET_ARN, ClientRequestToken: TOKEN, Step });

beforeEach(() => {
  sm.reset();
  sns.reset();
  clearVersionCache();
  forgetSecrets();
  state = {
    rotationLambdaArn: 'arn:aws:lambda:us-east-1:123456789012:function:postgres-rotation',
    versions: { [CURRENT_ID]: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] },
    values: { [CURRENT_ID]: JSON.stringify(CURRENT), [TOKEN]: JSON.stringify(PENDING) },
  };
  mockSecret(sm, state);
  process.env.ALERT_TOPIC_ARN = TOPIC;
  output = captureOutput();
});

afterEach(() => {
  output.restore();
  delete process.env.ALERT_TOPIC_ARN;
});

describe('the auditing middleware', () => {
  it('closes a successful step once, with the Lambda context on the audit line and the metric flushed', async () => {
    const handler = createRotationHandler(createTestRotator(new InMemoryTarget(CURRENT)));
    const report = await handler(event('setSecret'), lambdaContext(60_000));
    expect(report).toMatchObject({ step: 'setSecret', outcome: 'succeeded', secretName: SECRET_NAME });

    const lines = output.json();
    const audits = lines.filter((line) => line.audit);
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ function_request_id: 'request-1' });
    expect(lines.filter((line) => line._aws && line.RotationStepSucceeded === 1)).toHaveLength(1);
  });

  it('turns middy’s timeout into one failed audit line, one flushed metric and one alert naming the wait', async () => {
    let signal: AbortSignal | undefined;
    const rotator = createTestRotator(new InMemoryTarget(CURRENT));
    rotator.set = (_pending, ctx) => {
      signal = ctx.signal;
      ctx.waitingFor('ModifyUser');
      // A target that never answers: only the deadline ends this.
      return new Promise(() => undefined);
    };
    const handler = createRotationHandler(rotator);
    const started = Date.now();
    await expect(handler(event('setSecret'), lambdaContext(2_300))).rejects.toMatchObject({
      name: 'InvocationTimeoutError',
      message: expect.stringMatching(
        /^setSecret of sergas\/test\/dev\/password ran out of time: stopped 2000 ms before the Lambda deadline \(.+\) while waiting for ModifyUser$/,
      ),
    });
    expect(Date.now() - started).toBeLessThan(2_300);
    expect(signal?.aborted).toBe(true);

    const lines = output.json();
    const audits = lines.filter((line) => line.audit);
    expect(audits).toHaveLength(1);
    expect(audits[0]?.audit).toMatchObject({
      step: 'setSecret',
      outcome: 'failed',
      errorClass: 'InvocationTimeoutError',
      waitingFor: 'ModifyUser',
      retryable: true,
    });
    // The metric is recorded before logMetrics flushes: it is in the EMF line of this invocation.
    expect(
      lines.filter((line) => line._aws && line.RotationStepFailed === 1 && line.Step === 'setSecret'),
    ).toHaveLength(1);

    const published = sns.commandCalls(PublishCommand);
    expect(published).toHaveLength(1);
    const alert = JSON.parse(published[0]?.args[0].input.Message ?? '{}') as Record<string, unknown>;
    expect(alert).toMatchObject({ step: 'setSecret', secretArn: SECRET_ARN, waitingFor: 'ModifyUser' });
    expect(Date.parse(String(alert.deadline))).toBeGreaterThan(started);
  });

  it('mutes the step’s logger once the deadline fired, so a late line cannot follow the failure', async () => {
    let late: (() => void) | undefined;
    const rotator = createTestRotator(new InMemoryTarget(CURRENT));
    rotator.set = (_pending, ctx) =>
      new Promise(() => {
        late = () => ctx.logger.warn('setSecret succeeded after all');
      });
    const handler = createRotationHandler(rotator);
    await expect(handler(event('setSecret'), lambdaContext(2_100))).rejects.toThrow('ran out of time');
    const before = output.text();
    late?.();
    expect(output.text()).toBe(before);
  });
});

describe('label changes that already happened', () => {
  it('finishSecret succeeds when the promotion is refused because the token is already AWSCURRENT', async () => {
    const rotator = createTestRotator(new InMemoryTarget(CURRENT));
    rotator.finish = async () => undefined;
    // The first attempt's reply was lost; the retry finds AWSCURRENT already moved.
    sm.on(UpdateSecretVersionStageCommand).callsFake(async () => {
      state.versions = { [CURRENT_ID]: ['AWSPREVIOUS'], [TOKEN]: ['AWSCURRENT', 'AWSPENDING'] };
      throw new InvalidParameterException({
        message: `Version stage AWSCURRENT not found in version ${CURRENT_ID}`,
        $metadata: {},
      });
    });
    const report = await runRotationStep(rotator, event('finishSecret'));
    expect(report).toMatchObject({ outcome: 'succeeded' });
    expect(report.detail).toContain('already AWSCURRENT');
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('still fails when the refusal is real: the token is not AWSCURRENT', async () => {
    const rotator = createTestRotator(new InMemoryTarget(CURRENT));
    rotator.finish = async () => undefined;
    sm.on(UpdateSecretVersionStageCommand).rejects(
      new InvalidParameterException({ message: 'Not a valid version', $metadata: {} }),
    );
    await expect(runRotationStep(rotator, event('finishSecret'))).rejects.toThrow('Not a valid version');
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
  });
});
