import { beforeEach, describe, expect, it } from 'vitest';
import { runRotationStep } from '../../../shared/rotation/invocation';
import { clearVersionCache } from '../../../shared/secrets/version-cache';
import { captureOutput } from '../../support/capture';
import {
  type RotationEventShape,
  RotationDriver,
  RotationFailedError,
} from '../../../dev/aws/rotation-driver';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import {
  createTestRotator,
  InMemoryTarget,
  type TestSecret,
  type TestRotatorOptions,
} from '../../support/test-rotator';

/**
 * The core against moto's Secrets Manager, with an in-memory target: the protocol itself, proven
 * against a real API server. Each invocation clears the version cache, as a fresh container would,
 * unless a test is about the warm path.
 */
const admin = new SecretsAdmin();
const driver = new RotationDriver();
const INITIAL: TestSecret = { username: 'app', password: 'initial-password-Aa1!' };

let secretId: string;
let target: InMemoryTarget;

beforeEach(async () => {
  secretId = await admin.create(admin.uniqueName('core', 'password'), INITIAL);
  target = new InMemoryTarget(INITIAL);
});

function invoker(options: TestRotatorOptions = {}, { cold = true } = {}) {
  const rotator = createTestRotator(target, options);
  return async (event: RotationEventShape) => {
    if (cold) clearVersionCache();
    return runRotationStep(rotator, event);
  };
}

describe('a rotation against a real Secrets Manager API (moto)', () => {
  it('moves AWSCURRENT to the new version and AWSPREVIOUS to the old one, and the target accepts both', async () => {
    const before = await admin.versionAt(secretId, 'AWSCURRENT');
    const token = await driver.rotate(secretId, invoker());

    const stages = await admin.stages(secretId);
    expect(stages[token]).toEqual(['AWSCURRENT']);
    expect(stages[before ?? '']).toEqual(['AWSPREVIOUS']);
    const current = await admin.valueAt<TestSecret>(secretId, 'AWSCURRENT');
    const previous = await admin.valueAt<TestSecret>(secretId, 'AWSPREVIOUS');
    expect(previous).toEqual(INITIAL);
    expect(current?.username).toBe('app');
    expect(current?.password).not.toBe(INITIAL.password);
    expect(target.accepts(current as TestSecret)).toBe(true);
    expect(target.accepts(INITIAL)).toBe(true);
  });

  it('keeps rotating: after three rotations only the current and previous passwords work', async () => {
    const seen: TestSecret[] = [INITIAL];
    for (let i = 0; i < 3; i++) {
      await driver.rotate(secretId, invoker());
      seen.push((await admin.valueAt<TestSecret>(secretId, 'AWSCURRENT')) as TestSecret);
    }
    expect(new Set(seen.map((s) => s.password)).size).toBe(4);
    expect(seen.map((s) => target.accepts(s))).toEqual([false, false, true, true]);
    expect(await admin.valueAt(secretId, 'AWSPREVIOUS')).toEqual(seen[2]);
  });

  it('leaves the same state when every step runs twice', async () => {
    const invoke = invoker();
    const twice = async (event: RotationEventShape) => {
      await invoke(event);
      await invoke(event);
    };
    const token = await driver.rotate(secretId, twice);
    const stages = await admin.stages(secretId);
    expect(stages[token]).toEqual(['AWSCURRENT']);
    expect(Object.values(stages).flat().sort()).toEqual(['AWSCURRENT', 'AWSPREVIOUS']);
    expect(target.calls.filter((c) => c === 'create')).toHaveLength(1);
  });

  it('resumes a rotation that crashed after setSecret, keeping the pending value it already made', async () => {
    const token = await driver.startRotation(secretId);
    await driver.runSteps(secretId, token, invoker(), ['createSecret', 'setSecret']);
    const pendingBeforeCrash = await admin.valueAt<TestSecret>(secretId, 'AWSPENDING');
    expect(await admin.valueAt(secretId, 'AWSCURRENT')).toEqual(INITIAL);

    // The service reattempts the rotation from the start with the same token.
    await driver.runSteps(secretId, token, invoker());
    const current = await admin.valueAt<TestSecret>(secretId, 'AWSCURRENT');
    expect(current).toEqual(pendingBeforeCrash);
    expect(target.accepts(current as TestSecret)).toBe(true);
  });

  it('retries a step that crashed once and completes', async () => {
    const attempts: string[] = [];
    const retrying = new RotationDriver({
      onAttempt: (a) => attempts.push(`${a.step}#${a.attempt}:${a.ok}`),
    });
    await retrying.rotate(secretId, invoker({ crashOnce: new Set(['set', 'test']) }));
    expect(attempts).toEqual([
      'createSecret#1:true',
      'setSecret#1:false',
      'setSecret#2:true',
      'testSecret#1:false',
      'testSecret#2:true',
      'finishSecret#1:true',
    ]);
  });

  it('never moves AWSCURRENT when testSecret keeps failing', async () => {
    const before = await admin.stages(secretId);
    const rotator = createTestRotator(target);
    rotator.test = async () => {
      throw new Error('target says no');
    };
    const token = await driver.startRotation(secretId);
    await expect(
      driver.runSteps(secretId, token, (event) => runRotationStep(rotator, event)),
    ).rejects.toBeInstanceOf(RotationFailedError);
    const after = await admin.stages(secretId);
    const currentBefore = Object.entries(before).find(([, s]) => s.includes('AWSCURRENT'))?.[0];
    expect(after[currentBefore ?? '']).toEqual(['AWSCURRENT']);
    expect(after[token]).toEqual(['AWSPENDING']);
  });

  it('fails clearly and changes nothing for a token that is not staged', async () => {
    const before = await admin.stages(secretId);
    await driver.startRotation(secretId);
    const staged = await admin.stages(secretId);
    const stranger = '11111111-2222-4333-8444-555555555555';
    await expect(
      invoker()({ SecretId: secretId, ClientRequestToken: stranger, Step: 'createSecret' }),
    ).rejects.toThrow(`version ${stranger} of secret`);
    expect(await admin.stages(secretId)).toEqual(staged);
    expect(Object.keys(staged)).toHaveLength(Object.keys(before).length + 1);
    expect(target.calls).toEqual([]);
  });

  it('reads each version at most once per rotation in a warm container', async () => {
    const output = captureOutput();
    try {
      clearVersionCache();
      await driver.rotate(secretId, invoker({}, { cold: false }));
    } finally {
      output.restore();
    }
    const reads = output
      .json()
      .flatMap((line) => (line.audit as { reads?: string[] } | undefined)?.reads ?? [])
      .filter((read) => !read.endsWith('(cached)'));
    // AWSPENDING probed once (empty) in createSecret; AWSCURRENT once. Nothing else hits the API.
    expect(reads.sort()).toEqual(['AWSCURRENT', 'AWSPENDING']);
  });

  it('prints no secret value in any log or metric line of a full rotation', async () => {
    const output = captureOutput();
    try {
      await driver.rotate(secretId, invoker());
    } finally {
      output.restore();
    }
    const current = await admin.valueAt<TestSecret>(secretId, 'AWSCURRENT');
    const text = output.text();
    expect(text).toContain('"outcome":"succeeded"');
    expect(text).not.toContain(INITIAL.password);
    expect(text).not.toContain(current?.password);
  });
});
