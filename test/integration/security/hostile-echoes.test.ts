import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LambdaInvokeError } from '../../../dev/aws/local-lambda';
import { LocalLambda } from '../../../dev/aws/local-lambda';
import { RotationDriver } from '../../../dev/aws/rotation-driver';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import { startSnsListener } from '../../../dev/aws/sns-listener';
import {
  type RecordedRequest,
  type RecordingServer,
  startRecordingServer,
} from '../../../dev/targets/recording-server';
import { generateToken } from '../../../shared/credentials/token';

/**
 * A receiver that echoes the token it was sent back in every form a server might (plain, base64,
 * URL-encoded, JSON-escaped, inside a long WWW-Authenticate description the function truncates),
 * against the built webhook-bearer bundle: no 12-character window of the token may reach the
 * function's output, the error it returns or the SNS alert.
 */
const admin = new SecretsAdmin();
const driver = new RotationDriver({ attemptsPerStep: 1 });
let lambda: LocalLambda;
let echoing: RecordingServer;
let alerts: Awaited<ReturnType<typeof startSnsListener>>;

function bearerOf(request: RecordedRequest): string {
  return String(request.headers.authorization ?? '').replace(/^Bearer /, '');
}

/** 401, with the token echoed in a description long enough to be cut, and in the body. */
function echo(request: RecordedRequest) {
  const token = bearerOf(request);
  const forms = [
    token,
    Buffer.from(token).toString('base64'),
    encodeURIComponent(token),
    JSON.stringify(token),
  ];
  // Placed so that cutting the description at 200 characters falls inside the token.
  const description = `${'x'.repeat(190)} ${token} ${forms.join(' ')}`;
  return {
    status: 401,
    headers: {
      'WWW-Authenticate': `Bearer error="invalid_token", error_description="${description}"`,
      'Content-Type': 'application/json',
    },
    body: JSON.stringify({ error: { message: description } }),
  };
}

function windowsOf(text: string, length = 12): string[] {
  return Array.from({ length: Math.max(0, text.length - length + 1) }, (_, i) => text.slice(i, i + length));
}

async function rotateUntil(failingStep: 'setSecret' | 'testSecret', value: Record<string, unknown>) {
  const secretId = await admin.create(admin.uniqueName('echo', 'bearer'), value);
  const token = await driver.startRotation(secretId);
  const step = (Step: string) =>
    lambda.invoke({ SecretId: secretId, ClientRequestToken: token, Step }).then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(await step('createSecret')).toBeUndefined();
  if (failingStep === 'testSecret') expect(await step('setSecret')).toBeUndefined();
  const error = await step(failingStep);
  const pending = await admin.valueAt<{ token: string }>(secretId, 'AWSPENDING');
  return { secretId, error: error as LambdaInvokeError, pending: pending?.token ?? '' };
}

beforeAll(async () => {
  echoing = await startRecordingServer(echo);
  alerts = await startSnsListener(`echo-alerts-${Date.now()}`);
  lambda = await LocalLambda.start('webhook-bearer', { env: { ALERT_TOPIC_ARN: alerts.topicArn } });
});

afterAll(async () => {
  await lambda?.stop();
  await echoing?.stop();
  await alerts?.stop();
});

describe('a target echoing the credential back', () => {
  it('reaches no log line, error or alert in any form, even where the description is truncated', async () => {
    const { error, pending } = await rotateUntil('testSecret', {
      token: generateToken('whk'),
      verify_url: `${echoing.url}/v`,
    });
    expect(error).toMatchObject({ name: 'CredentialRejectedError' });
    expect(error.message).toContain('[REDACTED]');
    expect(pending).toMatch(/^whk_/);
    expect(echoing.requests()).toHaveLength(1);

    await alerts.waitFor(1);
    const everything = [
      lambda.output(),
      error.message,
      error.stack ?? '',
      JSON.stringify(alerts.messages),
    ].join('\n');
    const forms = [
      pending,
      Buffer.from(pending).toString('base64'),
      encodeURIComponent(pending),
      JSON.stringify(pending),
    ];
    for (const form of forms) for (const window of windowsOf(form)) expect(everything).not.toContain(window);
    expect(JSON.stringify(alerts.messages)).toContain('CredentialRejectedError');
  });

  it('a weak current token does not block its rotation, and no response text is quoted while it is in play', async () => {
    const before = lambda.output().length;
    const alertsBefore = alerts.messages.length;
    // The sender's registration endpoint echoes the (weak, unscrubbable) current token it refuses.
    const { error, pending } = await rotateUntil('setSecret', {
      token: 'weak-tok',
      verify_url: `${echoing.url}/v`,
      register_url: `${echoing.url}/register`,
    });
    // createSecret went through with the weak value current: it is what replaces it.
    expect(pending).toMatch(/^whk_/);
    expect(error).toMatchObject({ name: 'CredentialRejectedError' });
    expect(error.message).toContain('(response text withheld: a weak credential is in play)');
    expect(error.message).not.toContain('x'.repeat(50));
    const lines = lambda
      .output()
      .slice(before)
      .split('\n')
      .filter((line) => line.includes('"audit"'));
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toContain('credentialWarning');
    await alerts.waitFor(alertsBefore + 1);
    expect(lambda.output()).not.toContain('weak-tok');
    expect(error.message + (error.stack ?? '')).not.toContain('weak-tok');
    expect(JSON.stringify(alerts.messages)).not.toContain('weak-tok');
  });
});
