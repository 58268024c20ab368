import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalLambda } from '../../../dev/aws/local-lambda';
import { type LocalLambdaServer, startLocalLambdaServer } from '../../../dev/aws/local-lambda-server';
import { runRotationInvocation } from '../../../shared/rotation/invocation';
import { RotationDriver } from '../../../dev/aws/rotation-driver';
import { startRotationService } from '../../../dev/aws/rotation-service';
import { jsonLinesOf, runNpmScript, runScript } from '../../../dev/lib/run-script';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import { createTestRotator, InMemoryTarget, type TestSecret } from '../../support/test-rotator';

/**
 * `npm run emergency`, the operator's command, against moto: with --local it runs the built
 * emergency-rotate bundle; without, it invokes the deployed function (here: the Lambda Invoke API
 * served locally). The rotation steps run in process with the in-memory test rotator.
 */
const admin = new SecretsAdmin();
const driver = new RotationDriver();
const INITIAL: TestSecret = { username: 'app', password: 'initial-password-Aa1!' };
let target: InMemoryTarget;
const rotate = (event: unknown) => runRotationInvocation(createTestRotator(target), event);

let lambdaApi: LocalLambdaServer;

beforeAll(async () => {
  lambdaApi = await startLocalLambdaServer();
  lambdaApi.register(await driver.rotationLambdaArn(), rotate);
});
afterAll(async () => {
  await lambdaApi?.stop();
});
beforeEach(() => {
  target = new InMemoryTarget(INITIAL);
});

async function rotatedSecret(): Promise<string> {
  const secretId = await admin.create(admin.uniqueName('emergency-cli', 'password'), INITIAL);
  await driver.rotate(secretId, rotate);
  return secretId;
}

describe('npm run emergency', () => {
  it('--local rotates through the bundle and revokes: the report alone on stdout, the logs on stderr', async () => {
    const secretId = await rotatedSecret();
    const before = (await admin.valueAt<TestSecret>(secretId, 'AWSCURRENT')) as TestSecret;
    const service = await startRotationService([secretId], rotate, { pollMs: 50 });
    try {
      const run = await runScript(
        'emergency.ts',
        ['--local', '--secret-id', secretId, '--reason', 'drill: leaked in a chat', '--revoke-previous'],
        { AWS_ENDPOINT_URL_LAMBDA: lambdaApi.endpoint, EMERGENCY_POLL_MS: '50' },
      );
      expect(run).toMatchObject({ code: 0 });
      expect(JSON.parse(run.stdout)).toMatchObject({
        outcome: 'succeeded',
        reason: 'drill: leaked in a chat',
        revokedPrevious: true,
      });
      expect(jsonLinesOf(run.stderr).some((line) => line.audit !== undefined)).toBe(true);
      expect(`${run.stdout}${run.stderr}`).not.toContain(before.password);
    } finally {
      await service.stop();
    }
    const after = (await admin.valueAt<TestSecret>(secretId, 'AWSCURRENT')) as TestSecret;
    expect(target.accepts(after)).toBe(true);
    expect(target.accepts(before)).toBe(false);
  });

  it('--local says why it timed out when nothing runs the rotation steps, and leaves AWSCURRENT alone', async () => {
    const secretId = await rotatedSecret();
    const current = await admin.versionAt(secretId, 'AWSCURRENT');
    const run = await runScript('emergency.ts', [
      '--local',
      '--secret-id',
      secretId,
      '--reason',
      'drill without a rotation service',
      '--wait-seconds',
      '1',
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('waiting up to 1 s for the new version to become AWSCURRENT');
    expect(run.stderr).toMatch(
      /emergency rotation failed: RotationTimeoutError: the emergency rotation of sergas\/emergency-cli\/dev\/password-\w+ did not complete within 1 s/,
    );
    expect(run.stderr).toContain("what to do: Read the rotation function's logs");
    expect(run.stderr).toContain('moto does not');
    expect(await admin.versionAt(secretId, 'AWSCURRENT')).toBe(current);
  });

  it('invokes the deployed function by its name and reports its error', async () => {
    const emergency = await LocalLambda.start('emergency-rotate');
    lambdaApi.register('sergas-staging-emergency-rotate', (event) => emergency.invoke(event));
    try {
      // A secret nobody wired to a rotation function.
      const secretId = await admin.create(admin.uniqueName('emergency-cli', 'password'), INITIAL);
      const run = await runNpmScript('emergency', ['--secret-id', secretId, '--reason', 'drill'], {
        AWS_ENDPOINT_URL_LAMBDA: lambdaApi.endpoint,
        ENVIRONMENT: 'staging',
      });
      expect(run.code).toBe(1);
      expect(lambdaApi.invocations.at(-1)).toBe('sergas-staging-emergency-rotate');
      expect(run.stderr).toMatch(
        /emergency rotation failed: RotationError: secret sergas\/emergency-cli\/dev\/password-\w+ has no rotation function configured/,
      );
    } finally {
      await emergency.stop();
    }
  });

  it('refuses to run without a reason', async () => {
    const run = await runScript('emergency.ts', ['--local', '--secret-id', 'sergas/x/dev/y']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--secret-id and --reason are required');
  });
});
