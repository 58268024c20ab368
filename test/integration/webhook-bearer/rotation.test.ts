import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LambdaInvokeError, LocalLambda } from '../../../dev/aws/local-lambda';
import {
  type WebhookStack,
  startWebhookStack,
  type WebhookSecretValue,
} from '../../../dev/targets/bearer-stacks';
import { RotationDriver } from '../../../dev/aws/rotation-driver';
import { generateToken } from '../../../shared/credentials/token';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import { startCountingProxy } from '../../../dev/aws/counting-proxy';

/**
 * webhook-bearer through its built bundle, against moto and a real receiver (node:http) that
 * authenticates with the BearerVerifier, plus a sender with a registration endpoint.
 */
const admin = new SecretsAdmin();
const driver = new RotationDriver({ attemptsPerStep: 1 });
/** The receivers' cache TTL: how long a removed label keeps being accepted in these tests. */
const RECEIVER_TTL_MS = 300;
const timing = { ttlMs: RECEIVER_TTL_MS, minRefreshIntervalMs: 20 };

let lambda: LocalLambda;
const stacks: WebhookStack[] = [];
/** Every token this file has seen, searched for in the function's output at the end. */
const tokensSeen = new Set<string>();

const invoke = (event: unknown) => lambda.invoke(event);
const post = async (url: string, token: string) =>
  (await fetch(url, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: '{}' })).status;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function stack(options: { withSender?: boolean } = {}): Promise<WebhookStack> {
  const created = await startWebhookStack({ admin, ...timing, ...options });
  stacks.push(created);
  tokensSeen.add(created.initial.token);
  return created;
}

async function valueAt(secretId: string, stage: string): Promise<WebhookSecretValue | undefined> {
  const value = await admin.valueAt<WebhookSecretValue>(secretId, stage);
  if (value) tokensSeen.add(value.token);
  return value;
}

/** Starts a rotation and runs one step, expecting it to fail; returns the error. */
async function failingStep(secretId: string, step: 'createSecret' | 'setSecret' | 'testSecret', fn = lambda) {
  const token = await driver.startRotation(secretId);
  const steps = ['createSecret', 'setSecret', 'testSecret'].slice(
    0,
    ['createSecret', 'setSecret', 'testSecret'].indexOf(step),
  );
  for (const earlier of steps)
    await fn.invoke({ SecretId: secretId, ClientRequestToken: token, Step: earlier });
  const error = await fn.invoke({ SecretId: secretId, ClientRequestToken: token, Step: step }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LambdaInvokeError);
  return error as LambdaInvokeError;
}

beforeAll(async () => {
  lambda = await LocalLambda.start('webhook-bearer');
});

afterAll(async () => {
  await lambda?.stop();
  await Promise.all(stacks.map((s) => s.stop()));
});

describe('webhook-bearer rotation', () => {
  it('promotes a new whk_ token that the receiver accepted while pending, and keeps the old one working', async () => {
    const { secretId, initial, receiver } = await stack();
    const before = await admin.versionAt(secretId, 'AWSCURRENT');
    const token = await driver.rotate(secretId, invoke);

    const current = await valueAt(secretId, 'AWSCURRENT');
    expect(current?.token).toMatch(/^whk_[A-Za-z0-9_-]{43}$/);
    expect(current).toEqual({ ...initial, token: current?.token });
    expect((await admin.stages(secretId))[before ?? '']).toEqual(['AWSPREVIOUS']);
    expect((await admin.stages(secretId))[token]).toEqual(['AWSCURRENT']);
    // testSecret's POST, authenticated with the token while it was AWSPENDING.
    expect(receiver.counters.verifications).toBe(1);
    expect(receiver.counters.acceptedByStage).toEqual({ AWSPENDING: 1 });

    expect(await post(receiver.url, current?.token ?? '')).toBe(200);
    expect(await post(receiver.url, initial.token)).toBe(200);
  });

  it('tells the sender the new token at setSecret; its webhooks are accepted before and after promotion', async () => {
    const { secretId, initial, sender } = await stack({ withSender: true });
    if (!sender) throw new Error('no sender');
    const token = await driver.startRotation(secretId);
    const step = (Step: string) => invoke({ SecretId: secretId, ClientRequestToken: token, Step });

    await step('createSecret');
    await step('setSecret');
    const pending = await valueAt(secretId, 'AWSPENDING');
    expect(sender.token()).toBe(pending?.token);
    expect(sender.token()).not.toBe(initial.token);
    expect(await sender.send()).toBe(200);

    // A retried setSecret finds the sender already switched: a no-op, not a failure.
    await step('setSecret');
    expect(sender.registrations).toEqual({ changed: 1, unchanged: 1, refused: 1 });

    await step('testSecret');
    await step('finishSecret');
    await driver.clearPendingLabel(secretId, token);
    expect(await sender.send()).toBe(200);
    expect((await valueAt(secretId, 'AWSCURRENT'))?.token).toBe(sender.token());
  });

  it('fails setSecret clearly when the sender refuses the current token', async () => {
    const { secretId, sender } = await stack({ withSender: true });
    // Someone re-registered the sender by hand with a token Secrets Manager does not know.
    const stray = 'whk_stray-token-registered-by-hand-000000000';
    await fetch(sender?.registerUrl ?? '', {
      method: 'PUT',
      headers: { Authorization: `Bearer ${sender?.token()}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: stray }),
    });
    const error = await failingStep(secretId, 'setSecret');
    expect(error.errorType).toBe('CredentialRejectedError');
    expect(error.message).toContain('webhook sender registration endpoint at 127.0.0.1:');
    expect(error.message).toMatch(
      /refused the current token: HTTP 401 \(invalid_token: authenticate with the token currently registered\)$/,
    );
  });

  it('rejects the token from two rotations ago', async () => {
    const { secretId, initial, receiver } = await stack();
    await driver.rotate(secretId, invoke);
    const second = await valueAt(secretId, 'AWSCURRENT');
    await driver.rotate(secretId, invoke);
    const third = await valueAt(secretId, 'AWSCURRENT');
    await sleep(RECEIVER_TTL_MS);

    expect(await post(receiver.url, third?.token ?? '')).toBe(200);
    expect(await post(receiver.url, second?.token ?? '')).toBe(200);
    const response = await fetch(receiver.url, {
      method: 'POST',
      headers: { Authorization: `Bearer ${initial.token}` },
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer realm="webhooks", error="invalid_token", error_description="the bearer token is not valid"',
    );
  });

  it('revokePrevious removes AWSPREVIOUS; the receiver rejects the previous token once its cache refreshes', async () => {
    const { secretId, initial, receiver, verifier } = await stack();
    await driver.rotate(secretId, invoke);
    const current = await valueAt(secretId, 'AWSCURRENT');
    const previousVersion = await admin.versionAt(secretId, 'AWSPREVIOUS');
    expect(await post(receiver.url, initial.token)).toBe(200);

    const report = await invoke({
      Action: 'revokePrevious',
      SecretId: secretId,
      Reason: 'token leaked in a ticket',
    });
    expect(report).toMatchObject({ step: 'revokePrevious', outcome: 'succeeded', version: previousVersion });
    expect((await admin.stages(secretId))[previousVersion ?? '']).toEqual([]);

    await sleep(RECEIVER_TTL_MS);
    expect(await post(receiver.url, initial.token)).toBe(401);
    expect(await post(receiver.url, current?.token ?? '')).toBe(200);
    expect(receiver.counters.rejectedByReason).toEqual({ unknown: 1 });

    // A second revoke has nothing left to revoke, and says so.
    await expect(invoke({ Action: 'revokePrevious', SecretId: secretId, Reason: 'again' })).rejects.toThrow(
      'has no AWSPREVIOUS version to revoke',
    );
    verifier.invalidate();
  });

  it('after a revoke, invalidate() makes a receiver stop accepting the previous token at once', async () => {
    const { secretId, initial, receiver, verifier } = await stack();
    await driver.rotate(secretId, invoke);
    expect(await post(receiver.url, initial.token)).toBe(200);
    await invoke({ Action: 'revokePrevious', SecretId: secretId, Reason: 'drill' });
    verifier.invalidate();
    expect(await post(receiver.url, initial.token)).toBe(401);
  });
});

describe('webhook-bearer bad inputs fail clearly and change nothing', () => {
  it('a secret without verify_url fails createSecret naming the key', async () => {
    const secretId = await admin.create(admin.uniqueName('webhooks', 'bearer'), {
      token: 'whk_existing-token-without-url-000000000000',
    });
    const error = await failingStep(secretId, 'createSecret');
    expect(error.errorType).toBe('SecretFormatError');
    expect(error.message).toMatch(
      /AWSCURRENT \(version [\w-]+\) is not a valid webhook-bearer secret: `verify_url` is required$/,
    );
    expect(await admin.valueAt(secretId, 'AWSPENDING')).toBeUndefined();
  });

  it('a plain-http verify_url is refused without the loopback switch', async () => {
    const { secretId } = await stack();
    const strict = await LocalLambda.start('webhook-bearer', { env: { ALLOW_LOOPBACK_HTTP: '' } });
    try {
      const error = await failingStep(secretId, 'createSecret', strict);
      expect(error.errorType).toBe('UnsafeEndpointError');
      expect(error.message).toBe(
        '`verify_url` must use https (plain http is allowed only for loopback hosts with ALLOW_LOOPBACK_HTTP=true)',
      );
      expect(await admin.valueAt(secretId, 'AWSPENDING')).toBeUndefined();
    } finally {
      await strict.stop();
    }
  });

  it('a plain-http URL to a non-loopback host is refused even with the switch', async () => {
    const secretId = await admin.create(admin.uniqueName('webhooks', 'bearer'), {
      token: 'whk_existing-token-0000000000000000000000000',
      verify_url: 'https://hooks.example.com/in',
      register_url: 'http://sender.example.com/register',
    });
    const error = await failingStep(secretId, 'createSecret');
    expect(error.errorType).toBe('UnsafeEndpointError');
    expect(error.message).toContain('`register_url` must use https');
  });

  it('a receiver answering 500 fails testSecret as retryable and AWSCURRENT stays', async () => {
    const { secretId, initial, receiver } = await stack();
    receiver.forceStatus = 500;
    const error = await failingStep(secretId, 'testSecret');
    expect(error.errorType).toBe('TargetError');
    expect(error.message).toMatch(/^webhook receiver at 127\.0\.0\.1:\d+ failed with HTTP 500$/);
    expect((await valueAt(secretId, 'AWSCURRENT'))?.token).toBe(initial.token);
    await valueAt(secretId, 'AWSPENDING');
  });

  it('a receiver that does not know the secret fails testSecret with its WWW-Authenticate reason', async () => {
    const other = await stack();
    // This secret's verify_url points at a receiver verifying a different secret.
    const misrouted = await admin.create(admin.uniqueName('webhooks', 'bearer'), {
      token: generateToken('whk'),
      verify_url: other.receiver.url,
    });
    const error = await failingStep(misrouted, 'testSecret');
    await valueAt(misrouted, 'AWSCURRENT');
    await valueAt(misrouted, 'AWSPENDING');
    expect(error.errorType).toBe('CredentialRejectedError');
    expect(error.message).toMatch(
      /^webhook receiver at 127\.0\.0\.1:\d+ refused the pending token: HTTP 401 \(invalid_token: the bearer token is not valid\)$/,
    );
    expect(other.receiver.counters.rejectedByReason).toEqual({ unknown: 1 });
  });
});

describe('webhook-bearer cost and hygiene', () => {
  it('makes a fixed, small number of Secrets Manager calls per rotation', async () => {
    const { secretId } = await stack({ withSender: true });
    const counter = await startCountingProxy(process.env.AWS_ENDPOINT_URL ?? '');
    const counted = await LocalLambda.start('webhook-bearer', {
      env: { AWS_ENDPOINT_URL: counter.endpoint },
    });
    try {
      const token = await driver.startRotation(secretId);
      const started = performance.now();
      await driver.runSteps(secretId, token, (event) => counted.invoke(event));
      const wallMs = performance.now() - started;
      const counts = counter.counts();
      console.info(
        `webhook-bearer rotation (warm, with register_url): ${Math.round(wallMs)} ms, calls ${JSON.stringify(counts)}`,
      );
      // create: Describe, GetSecretValue (pending probe), GetSecretValue (current), PutSecretValue;
      // set, test: Describe; finish: Describe, UpdateSecretVersionStage. The rest comes from the cache.
      expect(counts).toEqual({
        DescribeSecret: 4,
        GetSecretValue: 2,
        PutSecretValue: 1,
        UpdateSecretVersionStage: 1,
      });
      await valueAt(secretId, 'AWSCURRENT');

      // A revoke in the same warm container: the previous value is already in its version cache.
      counter.reset();
      await counted.invoke({ Action: 'revokePrevious', SecretId: secretId, Reason: 'cost check' });
      expect(counter.counts()).toEqual({ DescribeSecret: 2, UpdateSecretVersionStage: 1 });
    } finally {
      await counted.stop();
      await counter.stop();
    }
  });

  it('never prints a token in any log or metric line', async () => {
    for (const s of stacks) {
      for (const stage of ['AWSCURRENT', 'AWSPREVIOUS', 'AWSPENDING']) await valueAt(s.secretId, stage);
      if (s.sender) tokensSeen.add(s.sender.token());
    }
    const output = lambda.output();
    expect(output).toContain('"outcome":"succeeded"');
    expect(output).toContain('"outcome":"failed"');
    expect(tokensSeen.size).toBeGreaterThan(10);
    for (const token of tokensSeen) {
      expect(output).not.toContain(token);
      // The random part alone, in case something re-encoded or truncated the prefix.
      expect(output).not.toContain(token.slice(4));
    }
  });
});
