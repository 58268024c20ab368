import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runRotationInvocation } from '../../../shared/rotation/invocation';
import { clearVersionCache } from '../../../shared/secrets/version-cache';
import { captureOutput } from '../../support/capture';
import {
  CURRENT_ID,
  type FakeSecretState,
  mockSecret,
  PREVIOUS_ID,
  SECRET_ARN,
} from '../../support/mock-secrets';
import { createTestRotator, InMemoryTarget, type TestSecret } from '../../support/test-rotator';

const sm = mockClient(SecretsManagerClient);
const CURRENT = { username: 'app', password: 'current-password-Aa1!' };
const PREVIOUS = { username: 'app', password: 'previous-password-Bb2!' };
let state: FakeSecretState;
let output: ReturnType<typeof captureOutput>;

const TOKEN_IN_PROGRESS = 'i0000000-0000-4000-8000-000000000004';
const revokeEvent = { Action: 'revokePrevious', SecretId: SECRET_ARN, Reason: 'laptop stolen' };

beforeEach(() => {
  sm.reset();
  clearVersionCache();
  state = {
    versions: { [CURRENT_ID]: ['AWSCURRENT'], [PREVIOUS_ID]: ['AWSPREVIOUS'] },
    values: { [CURRENT_ID]: JSON.stringify(CURRENT), [PREVIOUS_ID]: JSON.stringify(PREVIOUS) },
  };
  mockSecret(sm, state);
  output = captureOutput();
});
afterEach(() => output.restore());

describe('revokePrevious (emergency)', () => {
  it('hands the parsed AWSPREVIOUS value to the rotator and audits the reason', async () => {
    const revoked: TestSecret[] = [];
    const rotator = {
      ...createTestRotator(new InMemoryTarget(CURRENT)),
      revoke: async (p: TestSecret) => void revoked.push(p),
    };
    const report = await runRotationInvocation(rotator, revokeEvent);
    expect(revoked).toEqual([PREVIOUS]);
    expect(report).toMatchObject({ step: 'revokePrevious', outcome: 'succeeded', version: PREVIOUS_ID });
    const audit = output.json().find((line) => line.audit)?.audit;
    expect(audit).toMatchObject({ step: 'revokePrevious', reason: 'laptop stolen', outcome: 'succeeded' });
  });

  it('fails clearly when there is no AWSPREVIOUS', async () => {
    state.versions = { [CURRENT_ID]: ['AWSCURRENT'] };
    const rotator = { ...createTestRotator(new InMemoryTarget(CURRENT)), revoke: async () => undefined };
    await expect(runRotationInvocation(rotator, revokeEvent)).rejects.toThrow(
      'secret sergas/test/dev/password has no AWSPREVIOUS version to revoke',
    );
  });

  it('fails clearly for a kind without revoke', async () => {
    const withoutRevoke = createTestRotator(new InMemoryTarget(CURRENT));
    delete withoutRevoke.revoke;
    await expect(runRotationInvocation(withoutRevoke, revokeEvent)).rejects.toThrow(
      'test secrets have no revoke',
    );
  });

  it('refuses a revoke without a reason', async () => {
    await expect(
      runRotationInvocation(createTestRotator(new InMemoryTarget(CURRENT)), {
        Action: 'revokePrevious',
        SecretId: SECRET_ARN,
      }),
    ).rejects.toThrow('invalid revoke event: `Reason` is required');
  });

  it('refuses while a rotation is in progress: its pending credential may live where AWSPREVIOUS does', async () => {
    state.versions[TOKEN_IN_PROGRESS] = ['AWSPENDING'];
    const revoked: TestSecret[] = [];
    const rotator = {
      ...createTestRotator(new InMemoryTarget(CURRENT)),
      revoke: async (p: TestSecret) => void revoked.push(p),
    };
    await expect(runRotationInvocation(rotator, revokeEvent)).rejects.toMatchObject({
      name: 'RotationInProgressError',
      message: expect.stringContaining(`version ${TOKEN_IN_PROGRESS} is AWSPENDING`),
      retryable: true,
    });
    expect(revoked).toEqual([]);
  });

  it('refuses when AWSPREVIOUS is not the version the caller meant (a rotation finished meanwhile)', async () => {
    const revoked: TestSecret[] = [];
    const rotator = {
      ...createTestRotator(new InMemoryTarget(CURRENT)),
      revoke: async (p: TestSecret) => void revoked.push(p),
    };
    await expect(
      runRotationInvocation(rotator, { ...revokeEvent, PreviousVersionId: CURRENT_ID }),
    ).rejects.toThrow(`AWSPREVIOUS of sergas/test/dev/password is version ${PREVIOUS_ID}, not ${CURRENT_ID}`);
    await runRotationInvocation(rotator, { ...revokeEvent, PreviousVersionId: PREVIOUS_ID });
    expect(revoked).toEqual([PREVIOUS]);
  });
});
