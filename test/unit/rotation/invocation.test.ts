import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { forgetSecrets } from '../../../shared/observability/redaction';
import { runRotationStep } from '../../../shared/rotation/invocation';
import { clearVersionCache } from '../../../shared/secrets/version-cache';
import { captureOutput } from '../../support/capture';
import {
  CURRENT_ID,
  type FakeSecretState,
  mockSecret,
  PREVIOUS_ID,
  SECRET_ARN,
  TOKEN,
} from '../../support/mock-secrets';
import { createTestRotator, InMemoryTarget } from '../../support/test-rotator';

const sm = mockClient(SecretsManagerClient);
const sns = mockClient(SNSClient);
const CURRENT = { username: 'app', password: 'current-password-Aa1!' };
const PREVIOUS = { username: 'app', password: 'previous-password-Bb2!' };
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:rotation-alerts';

let state: FakeSecretState;
let target: InMemoryTarget;
let output: ReturnType<typeof captureOutput>;

const event = (Step: string, extra: Record<string, unknown> = {}) => ({
  SecretId: SECRET_ARN,
  ClientRequestToken: TOKEN,
  Step,
  ...extra,
});

beforeEach(() => {
  sm.reset();
  sns.reset();
  clearVersionCache();
  forgetSecrets();
  state = {
    versions: { [CURRENT_ID]: ['AWSCURRENT'], [PREVIOUS_ID]: ['AWSPREVIOUS'], [TOKEN]: ['AWSPENDING'] },
    values: { [CURRENT_ID]: JSON.stringify(CURRENT), [PREVIOUS_ID]: JSON.stringify(PREVIOUS) },
  };
  mockSecret(sm, state);
  target = new InMemoryTarget(CURRENT);
  process.env.ALERT_TOPIC_ARN = TOPIC;
  output = captureOutput();
});

afterEach(() => {
  output.restore();
  delete process.env.ALERT_TOPIC_ARN;
});

/** Store what PutSecretValue receives, as the service would. */
function acceptPuts() {
  sm.on(PutSecretValueCommand).callsFake(
    async (input: { ClientRequestToken: string; SecretString: string }) => {
      state.values[input.ClientRequestToken] = input.SecretString;
      return { VersionId: input.ClientRequestToken };
    },
  );
}

function auditLines() {
  return output
    .json()
    .filter((line) => line.audit)
    .map((line) => line.audit as Record<string, unknown>);
}

describe('event validation', () => {
  it.each([
    [null, /expected a JSON object/],
    [[], /expected a JSON object/],
    [{ ClientRequestToken: TOKEN, Step: 'createSecret' }, /`SecretId` is required/],
    [
      { SecretId: SECRET_ARN, ClientRequestToken: TOKEN, Step: 'rotateNow' },
      /`Step` must be one of "createSecret"/,
    ],
    [
      { SecretId: SECRET_ARN, ClientRequestToken: 'short', Step: 'setSecret' },
      /`ClientRequestToken` must not be empty \(at least 32/,
    ],
    [{ SecretId: 42, ClientRequestToken: TOKEN, Step: 'setSecret' }, /`SecretId` must be a string/],
  ])('rejects %j with an error naming what is wrong', async (input, message) => {
    await expect(runRotationStep(createTestRotator(target), input)).rejects.toMatchObject({
      name: 'InvalidEventError',
      message,
    });
    expect(sm.commandCalls(DescribeSecretCommand)).toHaveLength(0);
  });
});

describe('staging guards', () => {
  it('refuses when rotation is not enabled, and changes nothing', async () => {
    state.rotationEnabled = false;
    await expect(runRotationStep(createTestRotator(target), event('createSecret'))).rejects.toMatchObject({
      name: 'RotationNotEnabledError',
      message: 'rotation is not enabled for secret sergas/test/dev/password',
    });
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
    expect(target.calls).toEqual([]);
  });

  it('refuses a token that is not a version of the secret', async () => {
    state.versions = { [CURRENT_ID]: ['AWSCURRENT'] };
    await expect(runRotationStep(createTestRotator(target), event('setSecret'))).rejects.toMatchObject({
      name: 'VersionNotStagedError',
      message: `version ${TOKEN} of secret sergas/test/dev/password has no stage for rotation`,
    });
    expect(target.calls).toEqual([]);
  });

  it('refuses a token that is staged but not AWSPENDING', async () => {
    state.versions[TOKEN] = ['AWSPREVIOUS'];
    await expect(runRotationStep(createTestRotator(target), event('testSecret'))).rejects.toMatchObject({
      name: 'VersionNotStagedError',
      message: expect.stringContaining('is not AWSPENDING (its stages: AWSPREVIOUS)'),
    });
  });

  it.each(['createSecret', 'setSecret', 'testSecret', 'finishSecret'])(
    'skips %s with a logged no-op when the token is already AWSCURRENT',
    async (step) => {
      state.versions = { [TOKEN]: ['AWSCURRENT'], [CURRENT_ID]: ['AWSPREVIOUS'] };
      const report = await runRotationStep(createTestRotator(target), event(step));
      expect(report.outcome).toBe('skipped');
      expect(sm.calls()).toHaveLength(1); // DescribeSecret only
      expect(target.calls).toEqual([]);
      expect(auditLines()).toEqual([expect.objectContaining({ step, outcome: 'skipped' })]);
    },
  );

  it('calls DescribeSecret exactly once per step', async () => {
    acceptPuts();
    for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) {
      sm.resetHistory();
      await runRotationStep(createTestRotator(target), event(step));
      expect(sm.commandCalls(DescribeSecretCommand)).toHaveLength(1);
    }
  });
});

describe('createSecret', () => {
  it('builds the pending value from AWSCURRENT and stores it under the token as AWSPENDING', async () => {
    acceptPuts();
    const report = await runRotationStep(
      createTestRotator(target),
      event('createSecret', { RotationToken: 'rot-123' }),
    );
    expect(report).toMatchObject({ outcome: 'succeeded', detail: 'stored a new pending value' });
    const [put] = sm.commandCalls(PutSecretValueCommand);
    expect(put?.args[0].input).toMatchObject({
      SecretId: SECRET_ARN,
      ClientRequestToken: TOKEN,
      VersionStages: ['AWSPENDING'],
      RotationToken: 'rot-123',
    });
    const stored = JSON.parse(put?.args[0].input.SecretString ?? '{}');
    expect(stored.username).toBe('app');
    expect(stored.password).not.toBe(CURRENT.password);
  });

  it('keeps an existing AWSPENDING value and never regenerates it', async () => {
    state.values[TOKEN] = JSON.stringify({ username: 'app', password: 'already-pending-Cc3!' });
    const report = await runRotationStep(createTestRotator(target), event('createSecret'));
    expect(report.detail).toBe('kept the existing pending value');
    expect(target.calls).not.toContain('create');
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('run twice, stores one value: the second run keeps the first', async () => {
    acceptPuts();
    await runRotationStep(createTestRotator(target), event('createSecret'));
    const first = state.values[TOKEN];
    clearVersionCache(); // as a second container would
    await runRotationStep(createTestRotator(target), event('createSecret'));
    expect(state.values[TOKEN]).toBe(first);
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(1);
  });

  it('keeps the value a concurrent invocation stored first (ResourceExists)', async () => {
    sm.on(PutSecretValueCommand).rejects(new ResourceExistsException({ message: 'exists', $metadata: {} }));
    const report = await runRotationStep(createTestRotator(target), event('createSecret'));
    expect(report.detail).toMatch(/concurrent invocation stored the pending value first/);
  });

  it('names the missing key when AWSCURRENT is malformed, and stores nothing', async () => {
    state.values[CURRENT_ID] = JSON.stringify({ username: 'app' });
    await expect(runRotationStep(createTestRotator(target), event('createSecret'))).rejects.toMatchObject({
      name: 'SecretFormatError',
      message: `secret sergas/test/dev/password AWSCURRENT (version ${CURRENT_ID}) is not a valid test secret: \`password\` is required`,
    });
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('says AWSCURRENT is not JSON without quoting it', async () => {
    state.values[CURRENT_ID] = 'not-json-super-secret-value';
    const error = await runRotationStep(createTestRotator(target), event('createSecret')).catch((e) => e);
    expect(error.message).toBe(
      `secret sergas/test/dev/password AWSCURRENT (version ${CURRENT_ID}) is not valid JSON`,
    );
    expect(output.text()).not.toContain('not-json-super-secret-value');
  });

  it('reads every version by explicit VersionId and VersionStage', async () => {
    acceptPuts();
    for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) {
      clearVersionCache();
      await runRotationStep(createTestRotator(target), event(step));
    }
    const reads = sm.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input);
    expect(reads.length).toBeGreaterThan(0);
    for (const read of reads) {
      expect(read.VersionId).toBeTruthy();
      expect(read.VersionStage).toBeTruthy();
    }
  });
});

describe('setSecret and testSecret', () => {
  it.each(['setSecret', 'testSecret', 'finishSecret'])(
    '%s refuses when createSecret stored no value',
    async (step) => {
      await expect(runRotationStep(createTestRotator(target), event(step))).rejects.toMatchObject({
        name: 'SecretVersionMissingError',
        message: expect.stringContaining('has no AWSPENDING value for version'),
      });
      expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
    },
  );

  it('hands the parsed pending value to the rotator; each step is safe to run twice', async () => {
    acceptPuts();
    await runRotationStep(createTestRotator(target), event('createSecret'));
    const pending = JSON.parse(state.values[TOKEN] ?? '{}');
    for (const step of ['setSecret', 'setSecret', 'testSecret', 'testSecret']) {
      await runRotationStep(createTestRotator(target), event(step));
    }
    expect(target.accepts(pending)).toBe(true);
    expect(target.accepts(CURRENT)).toBe(true);
  });

  it('reuses values this container already read: the pending value is not fetched again', async () => {
    acceptPuts();
    await runRotationStep(createTestRotator(target), event('createSecret'));
    sm.resetHistory();
    await runRotationStep(createTestRotator(target), event('setSecret'));
    await runRotationStep(createTestRotator(target), event('testSecret'));
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(0);
    expect(auditLines().at(-1)?.reads).toEqual(['AWSPENDING (cached)']);
  });
});

describe('finishSecret', () => {
  beforeEach(() => {
    state.values[TOKEN] = JSON.stringify({ username: 'app', password: 'pending-password-Dd4!' });
  });

  it('retires older credentials, then moves AWSCURRENT to the token, removing it from the old version', async () => {
    target.accepted.get('app')?.add('pending-password-Dd4!').add(PREVIOUS.password);
    await runRotationStep(createTestRotator(target), event('finishSecret'));
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)[0]?.args[0].input).toEqual({
      SecretId: SECRET_ARN,
      VersionStage: 'AWSCURRENT',
      MoveToVersionId: TOKEN,
      RemoveFromVersionId: CURRENT_ID,
    });
    expect([...(target.accepted.get('app') ?? [])].sort()).toEqual([
      'current-password-Aa1!',
      'pending-password-Dd4!',
    ]);
  });

  it('leaves AWSCURRENT where it is when retiring fails, so the retry runs it again', async () => {
    const rotator = createTestRotator(target, { crashOnce: new Set(['finish']) });
    await expect(runRotationStep(rotator, event('finishSecret'))).rejects.toThrow(
      'simulated crash in finish',
    );
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
    await runRotationStep(rotator, event('finishSecret'));
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(1);
  });
});

describe('an abandoned rotation (emergency-rotate labelled it ROTATION_ABANDONED)', () => {
  const ABANDONED_ID = 'a0000000-0000-4000-8000-000000000005';
  const ABANDONED = { username: 'app', password: 'abandoned-password-Ff6!' };

  beforeEach(() => {
    state.versions[ABANDONED_ID] = ['ROTATION_ABANDONED'];
    state.values[ABANDONED_ID] = JSON.stringify(ABANDONED);
    state.values[TOKEN] = JSON.stringify({ username: 'app', password: 'pending-password-Dd4!' });
  });

  it('offers its value to the rotator, read by version id and label', async () => {
    const seen: unknown[] = [];
    const rotator = createTestRotator(target);
    rotator.set = async (_pending, ctx) => void seen.push(await ctx.abandoned());
    await runRotationStep(rotator, event('setSecret'));
    expect(seen).toEqual([ABANDONED]);
    expect(sm.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toContainEqual({
      SecretId: SECRET_ARN,
      VersionId: ABANDONED_ID,
      VersionStage: 'ROTATION_ABANDONED',
    });
  });

  it('is forgotten once a new credential is promoted', async () => {
    await runRotationStep(createTestRotator(target), event('finishSecret'));
    expect(sm.commandCalls(UpdateSecretVersionStageCommand).map((c) => c.args[0].input)).toEqual([
      {
        SecretId: SECRET_ARN,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: TOKEN,
        RemoveFromVersionId: CURRENT_ID,
      },
      { SecretId: SECRET_ARN, VersionStage: 'ROTATION_ABANDONED', RemoveFromVersionId: ABANDONED_ID },
    ]);
  });
});

describe('failures', () => {
  it('lets a throttled API call propagate as retryable and alerts operations', async () => {
    // What the SDK throws once its own adaptive retries are exhausted.
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    sm.on(DescribeSecretCommand).rejects(throttled);
    await expect(runRotationStep(createTestRotator(target), event('setSecret'))).rejects.toMatchObject({
      name: 'ThrottlingException',
    });
    const publish = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(publish?.TopicArn).toBe(TOPIC);
    expect(JSON.parse(publish?.Message ?? '{}')).toMatchObject({
      type: 'rotation-failure',
      secretArn: SECRET_ARN,
      kind: 'test',
      step: 'setSecret',
      errorClass: 'ThrottlingException',
      retryable: true,
    });
    expect(publish?.Subject).toBe('Rotation failed: test setSecret (ThrottlingException)');
  });

  it('publishes no alert when ALERT_TOPIC_ARN is unset', async () => {
    delete process.env.ALERT_TOPIC_ARN;
    state.rotationEnabled = false;
    await expect(runRotationStep(createTestRotator(target), event('setSecret'))).rejects.toThrow();
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('still reports the rotation error when the alert topic is unreachable', async () => {
    sns.on(PublishCommand).rejects(new Error('SNS is down'));
    state.rotationEnabled = false;
    await expect(runRotationStep(createTestRotator(target), event('setSecret'))).rejects.toMatchObject({
      name: 'RotationNotEnabledError',
    });
    expect(output.text()).toContain('could not publish to the alert topic');
  });

  it('writes one audit line per step with ARN, kind, step, version, outcome and duration', async () => {
    state.rotationEnabled = false;
    await expect(runRotationStep(createTestRotator(target), event('testSecret'))).rejects.toThrow();
    const lines = auditLines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      secretArn: SECRET_ARN,
      kind: 'test',
      step: 'testSecret',
      version: TOKEN,
      outcome: 'failed',
      errorClass: 'RotationNotEnabledError',
      durationMs: expect.any(Number),
    });
  });
});

describe('no secret value escapes', () => {
  it('scrubs a password a target echoed into its error from the log, the thrown error and the alert', async () => {
    state.values[TOKEN] = JSON.stringify({ username: 'app', password: 'pending-password-Ee5!' });
    const rotator = createTestRotator(target);
    rotator.set = async (pending) => {
      // A driver that quotes what it was sent, as some do in their errors.
      throw Object.assign(new Error(`login failed for ${pending.username} with ${pending.password}`), {
        request: { body: `password=${encodeURIComponent(pending.password)}` },
      });
    };
    const error: Error = await runRotationStep(rotator, event('setSecret')).then(
      () => new Error('expected setSecret to fail'),
      (e: Error) => e,
    );
    const alert = sns.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '';
    for (const text of [output.text(), error.message, error.stack ?? '', JSON.stringify(error), alert]) {
      expect(text).not.toContain('pending-password-Ee5!');
      expect(text).not.toContain(encodeURIComponent('pending-password-Ee5!'));
    }
    expect(error.message).toBe('login failed for app with [REDACTED]');
    expect(output.text()).toContain('[REDACTED]');
  });
});
