import { describe, expect, it } from 'vitest';
import { emergencyRotate } from '../../../functions/emergency-rotate/emergency-rotation';
import { parseEmergencyInput } from '../../../functions/emergency-rotate/input';
import { EVENT_LIMITS, parseRevokeEvent, parseRotationEvent } from '../../../shared/rotation/event';
import { runRotationInvocation } from '../../../shared/rotation/invocation';
import { auditedRuns } from '../../support/audited-runs';
import { TOKEN } from '../../support/mock-secrets';
import { createTestRotator, InMemoryTarget } from '../../support/test-rotator';

const runs = auditedRuns();
const MEGABYTE = 1024 * 1024;
const huge = (prefix: string) => `${prefix}${'A'.repeat(MEGABYTE)}`;

describe('event length limits', () => {
  it.each([
    [
      'SecretId',
      { SecretId: 'x'.repeat(EVENT_LIMITS.secretId + 1), ClientRequestToken: TOKEN, Step: 'createSecret' },
      '`SecretId` must be at most 2048 characters',
    ],
    [
      'ClientRequestToken (long)',
      { SecretId: 's', ClientRequestToken: 'x'.repeat(65), Step: 'createSecret' },
      '`ClientRequestToken` must be at most 64 characters',
    ],
    [
      'ClientRequestToken (short)',
      { SecretId: 's', ClientRequestToken: 'x'.repeat(31), Step: 'createSecret' },
      '`ClientRequestToken` must not be empty (at least 32 characters)',
    ],
    [
      'Step',
      { SecretId: 's', ClientRequestToken: TOKEN, Step: 'x'.repeat(MEGABYTE) },
      '`Step` must be one of',
    ],
    [
      'RotationToken',
      { SecretId: 's', ClientRequestToken: TOKEN, Step: 'setSecret', RotationToken: 'x'.repeat(4097) },
      '`RotationToken` must be at most 4096 characters',
    ],
  ])('refuses an oversized %s with a short message', (_name, event, message) => {
    let error: Error | undefined;
    try {
      parseRotationEvent(event);
    } catch (caught) {
      error = caught as Error;
    }
    expect(error?.name).toBe('InvalidEventError');
    expect(error?.message).toContain(message);
    expect(error?.message.length).toBeLessThan(300);
  });

  it('bounds the revoke event’s SecretId and Reason', () => {
    expect(() => parseRevokeEvent({ Action: 'revokePrevious', SecretId: huge('s'), Reason: 'r' })).toThrow(
      '`SecretId` must be at most 2048 characters',
    );
    expect(() => parseRevokeEvent({ Action: 'revokePrevious', SecretId: 's', Reason: huge('r') })).toThrow(
      '`Reason` must be at most 500 characters',
    );
  });

  it('bounds the emergency request’s secretId and reason', () => {
    expect(() => parseEmergencyInput({ secretId: huge('s'), reason: 'leaked' })).toThrow(
      '`secretId` must be at most 2048 characters',
    );
    expect(() => parseEmergencyInput({ secretId: 's', reason: huge('r') })).toThrow(
      '`reason` must be at most 500 characters',
    );
  });

  it('a 1 MB SecretId gives a small audit line and an alert that is still sent', async () => {
    const rotator = createTestRotator(new InMemoryTarget({ username: 'app', password: 'x' }));
    const event = {
      SecretId: huge('arn:aws:secretsmanager:'),
      ClientRequestToken: TOKEN,
      Step: 'createSecret',
    };
    await expect(runRotationInvocation(rotator, event)).rejects.toThrow(
      '`SecretId` must be at most 2048 characters',
    );
    const text = runs.text();
    expect(text.length).toBeLessThan(8 * 1024);
    const audit = runs.audits()[0];
    expect(audit).toMatchObject({ step: 'invalidEvent', outcome: 'failed', errorClass: 'InvalidEventError' });
    expect(String(audit?.secretArn)).toMatch(
      /^arn:aws:secretsmanager:A+\.\.\. \(truncated; 1048599 characters\)$/,
    );

    const published = runs.published();
    expect(published).toHaveLength(1);
    const input = published[0];
    expect((input?.Message ?? '').length).toBeLessThan(4 * 1024);
    expect((input?.Subject ?? '').length).toBeLessThanOrEqual(100);
  });

  it('a 1 MB emergency reason gives a short refusal and an alert', async () => {
    await expect(emergencyRotate({ secretId: 'sergas/app/dev/token', reason: huge('r') })).rejects.toThrow(
      '`reason` must be at most 500 characters',
    );
    expect(runs.text().length).toBeLessThan(8 * 1024);
    expect(runs.published()).toHaveLength(1);
  });
});
