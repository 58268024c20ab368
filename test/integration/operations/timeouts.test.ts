import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../../../dev/aws/fault-proxy';
import { LambdaInvokeError, LocalLambda } from '../../../dev/aws/local-lambda';
import { RotationDriver } from '../../../dev/aws/rotation-driver';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import { type SnsMessage, startSnsListener } from '../../../dev/aws/sns-listener';
import { runRotationInvocation } from '../../../shared/rotation/invocation';
import { createTestRotator, InMemoryTarget, type TestSecret } from '../../support/test-rotator';

/**
 * emergency-rotate and the monitor run in the same audited pipeline as the rotation functions: when
 * they run out of time they report it once (audit line, metric, alert naming what they waited for)
 * and stop.
 */
const admin = new SecretsAdmin();
const driver = new RotationDriver();
const INITIAL: TestSecret = { username: 'app', password: 'initial-password-Aa1!' };
const LAMBDA_TIMEOUT_MS = 3_500;

let alerts: Awaited<ReturnType<typeof startSnsListener>>;
let proxy: FaultProxy;

beforeAll(async () => {
  alerts = await startSnsListener(`operations-timeouts-${Date.now()}`);
  proxy = await startFaultProxy(String(process.env.AWS_ENDPOINT_URL));
});

afterAll(async () => {
  await alerts?.stop();
  await proxy?.stop();
});

async function timesOut(lambda: LocalLambda, event: unknown, step: string, waitingFor: RegExp) {
  const alertsBefore = alerts.messages.length;
  const failure = await lambda.invoke(event).catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(LambdaInvokeError);
  expect((failure as LambdaInvokeError).errorType).toBe('InvocationTimeoutError');
  const atFailure = lambda.output().length;

  const lines = lambda.jsonLines();
  const audits = lines.filter((line) => line.audit).map((line) => line.audit as Record<string, unknown>);
  expect(audits).toHaveLength(1);
  expect(audits[0]).toMatchObject({ step, outcome: 'failed', errorClass: 'InvocationTimeoutError' });
  expect(audits[0]?.waitingFor).toMatch(waitingFor);
  expect(
    lines.filter((line) => line._aws && line.RotationStepFailed === 1 && line.Step === step),
  ).toHaveLength(1);

  const alert = (await alerts.waitFor(alertsBefore + 1)).at(-1) as SnsMessage;
  expect(JSON.parse(alert.Message)).toMatchObject({ step, errorClass: 'InvocationTimeoutError' });
  expect(JSON.parse(alert.Message).waitingFor).toMatch(waitingFor);

  await new Promise((resolve) => setTimeout(resolve, 1_500));
  expect(lambda.output().slice(atFailure)).toBe('');
  expect(alerts.messages).toHaveLength(alertsBefore + 1);
}

describe('emergency-rotate out of time', () => {
  it('reports the rotation it was waiting for, once', async () => {
    const target = new InMemoryTarget(INITIAL);
    const secretId = await admin.create(admin.uniqueName('emergency', 'password'), INITIAL);
    await driver.rotate(secretId, (event) => runRotationInvocation(createTestRotator(target), event));
    const emergency = await LocalLambda.start('emergency-rotate', {
      env: {
        // Time for DescribeSecret and RotateSecret, then the wait for the promotion.
        LAMBDA_TIMEOUT_MS: '5000',
        ALERT_TOPIC_ARN: alerts.topicArn,
        // Its own wait is longer than the invocation: only the deadline can end it, in the pause
        // between two looks at the labels.
        EMERGENCY_WAIT_SECONDS: '600',
        EMERGENCY_POLL_MS: '60000',
      },
    });
    try {
      // No rotation service is running: nobody executes the steps it starts.
      await timesOut(
        emergency,
        { secretId, reason: 'drill without a service' },
        'emergencyRotate',
        /^the rotation of sergas\/emergency\/dev\/password-\w+ to promote version [\w-]+$/,
      );
    } finally {
      await emergency.stop();
    }
  });
});

describe('rotation-monitor out of time', () => {
  it('reports the listing it was waiting for, once, and publishes no partial metrics', async () => {
    // ListSecrets never answers: the proxy holds it for a second call that never comes.
    proxy.inject({ kind: 'gather', matching: (call) => call.action === 'ListSecrets', count: 2 });
    const monitor = await LocalLambda.start('rotation-monitor', {
      env: {
        AWS_ENDPOINT_URL: proxy.endpoint,
        LAMBDA_TIMEOUT_MS: String(LAMBDA_TIMEOUT_MS),
        ALERT_TOPIC_ARN: alerts.topicArn,
        MONITOR_TAG_KEY: 'rotation-suite',
      },
    });
    try {
      await timesOut(monitor, {}, 'monitorRotations', /^Secrets Manager ListSecrets$/);
      expect(monitor.jsonLines().filter((line) => 'MonitoredSecrets' in line)).toEqual([]);
    } finally {
      proxy.inject();
      await monitor.stop();
    }
  });
});
