import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LambdaInvocation } from '../../../shared/observability/lambda-handler';
import { forgetSecrets } from '../../../shared/observability/redaction';
import { runRotationInvocation, runRotationStep } from '../../../shared/rotation/invocation';
import { unqualifiedFunctionArn } from '../../../shared/rotation/own-function';
import { clearVersionCache } from '../../../shared/secrets/version-cache';
import { captureOutput } from '../../support/capture';
import {
  CURRENT_ID,
  type FakeSecretState,
  mockSecret,
  PREVIOUS_ID,
  ROTATION_FUNCTION_ARN,
  SECRET_ARN,
  SECRET_NAME,
  TOKEN,
} from '../../support/mock-secrets';
import { createTestRotator, InMemoryTarget, type TestSecret } from '../../support/test-rotator';

const sm = mockClient(SecretsManagerClient);
const CURRENT = { username: 'app', password: 'current-password-Aa1!' };
const PREVIOUS = { username: 'app', password: 'previous-password-Bb2!' };
const OTHER_FUNCTION = 'arn:aws:lambda:us-east-1:123456789012:function:sergas-dev-other-rotation';
let state: FakeSecretState;
let output: ReturnType<typeof captureOutput>;

const invokedAs = (invokedFunctionArn: string): LambdaInvocation => ({
  invokedFunctionArn,
  getRemainingTimeInMillis: () => 60_000,
});
const step = (Step: string) => ({ SecretId: SECRET_ARN, ClientRequestToken: TOKEN, Step });
const revokeEvent = { Action: 'revokePrevious', SecretId: SECRET_ARN, Reason: 'laptop stolen' };

beforeEach(() => {
  sm.reset();
  clearVersionCache();
  forgetSecrets();
  state = {
    versions: { [CURRENT_ID]: ['AWSCURRENT'], [PREVIOUS_ID]: ['AWSPREVIOUS'], [TOKEN]: ['AWSPENDING'] },
    values: { [CURRENT_ID]: JSON.stringify(CURRENT), [PREVIOUS_ID]: JSON.stringify(PREVIOUS) },
  };
  mockSecret(sm, state);
  output = captureOutput();
});
afterEach(() => output.restore());

/** Nothing but DescribeSecret was asked: no value read, nothing stored, no label moved. */
function expectNothingTouched(): void {
  expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
}

describe('unqualifiedFunctionArn', () => {
  it('drops an alias or a version, and nothing else', () => {
    const arn = 'arn:aws:lambda:eu-west-1:123456789012:function:sergas-prod-postgres-rotation';
    expect(unqualifiedFunctionArn(arn)).toBe(arn);
    expect(unqualifiedFunctionArn(`${arn}:live`)).toBe(arn);
    expect(unqualifiedFunctionArn(`${arn}:17`)).toBe(arn);
    expect(unqualifiedFunctionArn('sergas-prod-postgres-rotation')).toBeUndefined();
    expect(unqualifiedFunctionArn(`${arn}:live:extra`)).toBeUndefined();
  });
});

describe('a rotation function acts only on secrets wired to it', () => {
  it('refuses a step on a secret wired to another function, before reading or writing anything', async () => {
    const target = new InMemoryTarget(CURRENT);
    await expect(
      runRotationStep(createTestRotator(target), step('createSecret'), invokedAs(OTHER_FUNCTION)),
    ).rejects.toMatchObject({
      name: 'WrongRotationFunctionError',
      retryable: false,
      message: `secret ${SECRET_NAME} is wired to rotation function ${ROTATION_FUNCTION_ARN}, not to ${OTHER_FUNCTION}; refused to run createSecret on it`,
    });
    expectNothingTouched();
    expect(target.calls).toEqual([]);
  });

  it('refuses a secret with no rotation function at all', async () => {
    state.rotationLambdaArn = null;
    await expect(
      runRotationStep(
        createTestRotator(new InMemoryTarget(CURRENT)),
        step('setSecret'),
        invokedAs(OTHER_FUNCTION),
      ),
    ).rejects.toThrow(
      `secret ${SECRET_NAME} has no rotation function; ${OTHER_FUNCTION} refuses to run setSecret on it`,
    );
    expectNothingTouched();
  });

  it('runs when invoked through an alias or a version of the function the secret is wired to', async () => {
    for (const qualifier of [':live', ':3']) {
      clearVersionCache();
      const report = await runRotationStep(
        createTestRotator(new InMemoryTarget(CURRENT)),
        step('createSecret'),
        invokedAs(`${ROTATION_FUNCTION_ARN}${qualifier}`),
      );
      expect(report).toMatchObject({ outcome: 'succeeded' });
    }
  });

  it('runs in process without a Lambda context (tests, local scripts): no own ARN to compare', async () => {
    await expect(
      runRotationStep(createTestRotator(new InMemoryTarget(CURRENT)), step('createSecret')),
    ).resolves.toMatchObject({ outcome: 'succeeded' });
  });
});

describe('revokePrevious acts only on secrets wired to the function', () => {
  const revoking = () => {
    const revoked: TestSecret[] = [];
    const rotator = {
      ...createTestRotator(new InMemoryTarget(CURRENT)),
      revoke: async (previous: TestSecret) => void revoked.push(previous),
    };
    return { rotator, revoked };
  };
  beforeEach(() => {
    state.versions = { [CURRENT_ID]: ['AWSCURRENT'], [PREVIOUS_ID]: ['AWSPREVIOUS'] };
  });

  it('refuses a secret wired to another function', async () => {
    const { rotator, revoked } = revoking();
    await expect(
      runRotationInvocation(rotator, revokeEvent, invokedAs(OTHER_FUNCTION)),
    ).rejects.toMatchObject({
      name: 'WrongRotationFunctionError',
      message: expect.stringContaining('refused to revoke the previous credential of it'),
    });
    expect(revoked).toEqual([]);
    expectNothingTouched();
  });

  it('refuses a secret whose rotation was never enabled, with or without a Lambda context', async () => {
    state.rotationLambdaArn = null;
    state.rotationEnabled = false;
    for (const lambda of [undefined, invokedAs(ROTATION_FUNCTION_ARN)]) {
      const { rotator, revoked } = revoking();
      await expect(runRotationInvocation(rotator, revokeEvent, lambda)).rejects.toMatchObject({
        name: 'RotationNotEnabledError',
        message: `rotation was never enabled for secret ${SECRET_NAME} (no rotation function): refusing to revoke its previous credential`,
      });
      expect(revoked).toEqual([]);
    }
    expectNothingTouched();
  });

  it('revokes through the function the secret is wired to', async () => {
    const { rotator, revoked } = revoking();
    await runRotationInvocation(rotator, revokeEvent, invokedAs(`${ROTATION_FUNCTION_ARN}:live`));
    expect(revoked).toEqual([PREVIOUS]);
  });
});
