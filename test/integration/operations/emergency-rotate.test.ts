import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalLambda } from '../../../dev/aws/local-lambda';
import { type LocalLambdaServer, startLocalLambdaServer } from '../../../dev/aws/local-lambda-server';
import { runRotationInvocation } from '../../../shared/rotation/invocation';
import { RotationDriver } from '../../../dev/aws/rotation-driver';
import { type RotationServiceHandle, startRotationService } from '../../../dev/aws/rotation-service';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import { startSnsListener } from '../../../dev/aws/sns-listener';
import { createTestRotator, InMemoryTarget, type TestSecret } from '../../support/test-rotator';

/**
 * The emergency-rotate bundle against moto: it calls RotateSecret, and the rotation service
 * emulator (what Secrets Manager does after RotateSecret) runs the steps with an in-memory target;
 * revoke goes through the Lambda Invoke API served locally, as it would in AWS.
 */
const admin = new SecretsAdmin();
const driver = new RotationDriver();
const INITIAL: TestSecret = { username: 'app', password: 'initial-password-Aa1!' };

let lambdaApi: LocalLambdaServer;
let emergency: LocalLambda;
let alerts: Awaited<ReturnType<typeof startSnsListener>>;
let target: InMemoryTarget;
let service: RotationServiceHandle | undefined;

beforeAll(async () => {
  lambdaApi = await startLocalLambdaServer();
  alerts = await startSnsListener(`emergency-alerts-${Date.now()}`);
  emergency = await LocalLambda.start('emergency-rotate', {
    env: {
      AWS_ENDPOINT_URL_LAMBDA: lambdaApi.endpoint,
      ALERT_TOPIC_ARN: alerts.topicArn,
      EMERGENCY_WAIT_SECONDS: '20',
      EMERGENCY_POLL_MS: '100',
    },
  });
  // The rotation function moto knows (RotationDriver registers it), served in process.
  const rotationArn = await driver.rotationLambdaArn();
  lambdaApi.register(rotationArn, (event) => runRotationInvocation(createTestRotator(target), event));
});

afterAll(async () => {
  await service?.stop();
  await emergency?.stop();
  await lambdaApi?.stop();
  await alerts?.stop();
});

beforeEach(() => {
  target = new InMemoryTarget(INITIAL);
});

async function secretWithStalePending() {
  const secretId = await admin.create(admin.uniqueName('emergency', 'password'), INITIAL);
  await driver.rotate(secretId, (event) => runRotationInvocation(createTestRotator(target), event));
  const stale = await driver.startRotation(secretId); // a rotation that crashed before createSecret finished
  return { secretId, stale };
}

describe('emergency-rotate', () => {
  it('clears a stale AWSPENDING, rotates, and revokes the previous credential', async () => {
    const { secretId, stale } = await secretWithStalePending();
    const before = (await admin.valueAt<TestSecret>(secretId, 'AWSCURRENT')) as TestSecret;
    service = await startRotationService([secretId], (event) =>
      runRotationInvocation(createTestRotator(target), event),
    );

    const result = (await emergency.invoke({
      secretId,
      reason: 'credential pasted in a public channel',
      revokePrevious: true,
    })) as Record<string, unknown>;

    expect(result).toMatchObject({
      outcome: 'succeeded',
      clearedPendingVersions: [stale],
      revokedPrevious: true,
    });
    const after = (await admin.valueAt<TestSecret>(secretId, 'AWSCURRENT')) as TestSecret;
    expect(after.password).not.toBe(before.password);
    expect(await admin.valueAt(secretId, 'AWSPREVIOUS')).toEqual(before);
    expect(target.accepts(after)).toBe(true);
    expect(target.accepts(before)).toBe(false);
    expect(lambdaApi.invocations.at(-1)).toBe('secret-rotation-test-double');

    const [notice] = await alerts.waitFor(1);
    expect(notice?.Subject).toMatch(/^Emergency rotation completed: sergas\/emergency\/dev\/password-/);
    expect(JSON.parse(notice?.Message ?? '{}')).toMatchObject({
      type: 'emergency-rotation',
      reason: 'credential pasted in a public channel',
      revokedPrevious: true,
    });
    for (const text of [emergency.output(), JSON.stringify(alerts.messages)]) {
      expect(text).not.toContain(before.password);
      expect(text).not.toContain(after.password);
    }
    await service.stop();
    service = undefined;
  });

  it('keeps the previous credential working without revokePrevious', async () => {
    const secretId = await admin.create(admin.uniqueName('emergency', 'password'), INITIAL);
    await driver.rotate(secretId, (event) => runRotationInvocation(createTestRotator(target), event));
    const before = (await admin.valueAt<TestSecret>(secretId, 'AWSCURRENT')) as TestSecret;
    service = await startRotationService([secretId], (event) =>
      runRotationInvocation(createTestRotator(target), event),
    );
    const result = await emergency.invoke({ secretId, reason: 'scheduled drill' });
    expect(result).toMatchObject({
      outcome: 'succeeded',
      revokedPrevious: false,
      clearedPendingVersions: [],
    });
    expect(target.accepts(before)).toBe(true);
    await service.stop();
    service = undefined;
  });

  it('does not claim a revoke that the rotation function did not confirm', async () => {
    // No AWS_ENDPOINT_URL_LAMBDA: Invoke goes to moto, whose function answers "happy path OK"
    // without running anything, as any function that ignores the revoke action would.
    const misrouted = await LocalLambda.start('emergency-rotate', {
      env: { EMERGENCY_WAIT_SECONDS: '20', EMERGENCY_POLL_MS: '100' },
    });
    const secretId = await admin.create(admin.uniqueName('emergency', 'password'), INITIAL);
    await driver.rotate(secretId, (event) => runRotationInvocation(createTestRotator(target), event));
    const before = (await admin.valueAt<TestSecret>(secretId, 'AWSCURRENT')) as TestSecret;
    service = await startRotationService([secretId], (event) =>
      runRotationInvocation(createTestRotator(target), event),
    );
    try {
      await expect(
        misrouted.invoke({ secretId, reason: 'credential in a screenshot', revokePrevious: true }),
      ).rejects.toMatchObject({
        name: 'RevokeFailedError',
        message: expect.stringContaining('did not confirm the revoke'),
      });
      expect(target.accepts(before)).toBe(true); // nothing was revoked, and the report says so
    } finally {
      await service.stop();
      service = undefined;
      await misrouted.stop();
    }
  });

  it('refuses a request without a reason, before touching the secret', async () => {
    const { secretId } = await secretWithStalePending();
    const stagesBefore = await admin.stages(secretId);
    await expect(emergency.invoke({ secretId, revokePrevious: true })).rejects.toThrow(
      'invalid emergency rotation request: `reason` is required',
    );
    expect(await admin.stages(secretId)).toEqual(stagesBefore);
  });

  it('fails with a pointer to the logs when the rotation never completes', async () => {
    const secretId = await admin.create(admin.uniqueName('emergency', 'password'), INITIAL);
    await driver.rotate(secretId, (event) => runRotationInvocation(createTestRotator(target), event));
    const slow = await LocalLambda.start('emergency-rotate', {
      env: {
        AWS_ENDPOINT_URL_LAMBDA: lambdaApi.endpoint,
        EMERGENCY_WAIT_SECONDS: '1',
        EMERGENCY_POLL_MS: '100',
      },
    });
    try {
      // No rotation service is running: nobody executes the steps.
      await expect(slow.invoke({ secretId, reason: 'drill without a service' })).rejects.toMatchObject({
        name: 'RotationTimeoutError',
        message: expect.stringContaining('did not complete within 1 s'),
      });
      expect(await admin.valueAt(secretId, 'AWSCURRENT')).not.toBeUndefined();
    } finally {
      await slow.stop();
    }
  });
});
