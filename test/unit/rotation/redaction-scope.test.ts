import { describe, expect, it } from 'vitest';
import { TargetError } from '../../../shared/errors';
import { scrub } from '../../../shared/observability/redaction';
import { runRotationStep } from '../../../shared/rotation/invocation';
import { auditedRuns } from '../../support/audited-runs';
import { CURRENT_ID, type FakeSecretState, mockSecret, SECRET_ARN, TOKEN } from '../../support/mock-secrets';
import { createTestRotator, InMemoryTarget } from '../../support/test-rotator';

const runs = auditedRuns();
const event = (Step: string) => ({ SecretId: SECRET_ARN, ClientRequestToken: TOKEN, Step });

function secretWith(current: string, pending: string): void {
  const state: FakeSecretState = {
    versions: { [CURRENT_ID]: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] },
    values: {
      [CURRENT_ID]: JSON.stringify({ username: 'app', password: current }),
      [TOKEN]: JSON.stringify({ username: 'app', password: pending }),
    },
  };
  mockSecret(runs.sm, state);
}

describe('redaction scoped to the invocation', () => {
  it('a weak current password does not block its own rotation; the audit line warns', async () => {
    secretWith('postgres', 'generated-pending-password-0123456789');
    const target = new InMemoryTarget({ username: 'app', password: 'postgres' });
    const report = await runRotationStep(createTestRotator(target), event('setSecret'));
    expect(report.outcome).toBe('succeeded');
    expect(runs.audits()[0]).toMatchObject({
      outcome: 'succeeded',
      credentialWarning: expect.stringContaining('shorter than 12 characters'),
    });
  });

  it('a password "postgres" does not erase the word from messages, the alert or its subject', async () => {
    secretWith('postgres', 'generated-pending-password-0123456789');
    const rotator = {
      ...createTestRotator(new InMemoryTarget({ username: 'app', password: 'postgres' })),
      kind: 'postgres',
      test: async () => {
        throw new TargetError('not a valid postgres secret: the postgres server refused it');
      },
    };
    await expect(runRotationStep(rotator, event('testSecret'))).rejects.toThrow(
      'not a valid postgres secret: the postgres server refused it',
    );
    const input = runs.published()[0];
    expect(input?.Subject).toBe('Rotation failed: postgres testSecret (TargetError)');
    expect(input?.Message).toContain('not a valid postgres secret');
    expect(runs.text()).not.toContain('[REDACTED] secret');
  });

  it('what one invocation remembered does not erase words from the next one’s messages', async () => {
    const first = 'first-secret-password-abcdef-0123';
    secretWith(first, 'generated-pending-password-0123456789');
    const target = new InMemoryTarget({ username: 'app', password: first });
    await runRotationStep(createTestRotator(target), event('setSecret'));
    expect(scrub(first)).toBe(first);

    // Another secret's invocation whose message happens to contain that string.
    secretWith('another-current-password-zyxw-987', 'another-pending-password-zyxw-654');
    const rotator = createTestRotator(new InMemoryTarget({ username: 'app', password: 'x' }));
    rotator.test = async () => {
      throw new TargetError(`receiver answered: ${first} is a label, not a secret here`);
    };
    await expect(runRotationStep(rotator, event('testSecret'))).rejects.toThrow(`${first} is a label`);
    const last = runs.audits().at(-1);
    expect(last?.message).toBe(`receiver answered: ${first} is a label, not a secret here`);
  });

  it('within the invocation, a fragment of the pending value echoed by the target is scrubbed', async () => {
    const pending = 'generated-pending-password-0123456789';
    secretWith('current-password-long-enough-42', pending);
    const rotator = createTestRotator(new InMemoryTarget({ username: 'app', password: 'x' }));
    rotator.test = async () => {
      throw new TargetError(
        `receiver echoed ${pending.slice(5, 25)} and ${Buffer.from(pending).toString('base64')}`,
      );
    };
    await expect(runRotationStep(rotator, event('testSecret'))).rejects.toThrow(
      'receiver echoed [REDACTED] and [REDACTED]',
    );
    const text = runs.text() + JSON.stringify(runs.published());
    expect(text).not.toContain(pending.slice(5, 17));
    expect(text).not.toContain(Buffer.from(pending).toString('base64').slice(0, 12));
  });

  it('while a weak value is in play, an unexpected error’s own text is withheld from logs, alert and runtime', async () => {
    secretWith('hunter2', 'generated-pending-password-0123456789');
    const rotator = {
      ...createTestRotator(new InMemoryTarget({ username: 'app', password: 'hunter2' })),
      set: async (_pending: unknown, ctx: { current(): Promise<unknown> }) => {
        await ctx.current();
        throw new Error('server said: password hunter2 is not accepted');
      },
    };
    const error = await runRotationStep(rotator, event('setSecret')).then(
      () => new Error('setSecret should have failed'),
      (e: unknown) => e as Error,
    );
    expect(error.message).toBe('(message withheld: a weak credential is in play, see docs/security.md)');
    expect(error.stack).not.toContain('hunter2');
    expect(runs.text()).not.toContain('hunter2');
    expect(JSON.stringify(runs.published())).not.toContain('hunter2');
    expect(runs.audits()[0]).toMatchObject({ errorClass: 'Error', credentialWarning: expect.any(String) });
  });
});
