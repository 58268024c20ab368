import { PutSecretValueCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LambdaInvokeError, LocalLambda } from '../../../dev/aws/local-lambda';
import { type RotationEventShape, RotationDriver } from '../../../dev/aws/rotation-driver';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import { startSnsListener } from '../../../dev/aws/sns-listener';
import { callCrm, createZohoTenant, mintDirectly, type ZohoTenant } from '../../../dev/targets/zoho/tenant';
import { startZohoServer, type ZohoServer } from '../../../dev/targets/zoho/server';

/**
 * What goes wrong with Zoho, through the built bundle and moto: each failure named, retried only
 * when retrying can help, never minting more than needed, never sending the refresh token to a
 * host that is not the account's Zoho, and never printing a token or client secret (alerts
 * included: the function publishes to an SNS topic in moto, delivered to a local listener).
 */
interface TokenSet {
  refresh_token: string;
  access_token?: string;
  [key: string]: unknown;
}

const admin = new SecretsAdmin();
const driver = new RotationDriver({ attemptsPerStep: 1 });
let zoho: ZohoServer;
let lambda: LocalLambda;
let alerts: Awaited<ReturnType<typeof startSnsListener>>;
/** Every token and client secret this file handles: none may appear in any output. */
const secretsSeen = new Set<string>();
const invoke = (event: RotationEventShape) => lambda.invoke(event);

beforeAll(async () => {
  zoho = await startZohoServer();
  alerts = await startSnsListener(`zoho-alerts-${Date.now()}`);
  lambda = await LocalLambda.start('zoho-oauth', { env: { ALERT_TOPIC_ARN: alerts.topicArn } });
});
afterAll(async () => {
  await lambda?.stop();
  await alerts?.stop();
  await zoho?.stop();
});
afterEach(() => zoho.configure({ apiDomain: undefined, accessTokenTtlSeconds: 3600 }));

async function tenantSecret(options: Parameters<typeof createZohoTenant>[1] = {}, overrides = {}) {
  const tenant = await createZohoTenant(zoho, options);
  remember(tenant);
  const secretId = await admin.create(admin.uniqueName('crm', 'zoho'), { ...tenant.secret, ...overrides });
  return { tenant, secretId };
}

function remember(tenant: ZohoTenant) {
  for (const value of [tenant.refreshToken, tenant.client.clientSecret, tenant.secret.access_token]) {
    if (value) secretsSeen.add(value);
  }
}

async function rememberStages(secretId: string) {
  for (const stage of ['AWSCURRENT', 'AWSPREVIOUS', 'AWSPENDING']) {
    const value = await admin.valueAt<TokenSet>(secretId, stage);
    if (value?.access_token) secretsSeen.add(value.access_token);
    if (value?.refresh_token) secretsSeen.add(value.refresh_token);
  }
}

async function failingStep(event: RotationEventShape): Promise<LambdaInvokeError> {
  const error = await invoke(event).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(LambdaInvokeError);
  return error as LambdaInvokeError;
}

/**
 * What `aws secretsmanager put-secret-value` does on AWS: a new AWSCURRENT version, AWSPREVIOUS on
 * the old one. Spelled out as two calls because moto, after a RotateSecret, moves AWSPREVIOUS onto
 * the rotation's version and leaves AWSCURRENT on two versions.
 */
async function storeAsCurrent(secretId: string, value: unknown): Promise<void> {
  const old = await admin.versionAt(secretId, 'AWSCURRENT');
  const put = await admin.sm.send(
    new PutSecretValueCommand({
      SecretId: secretId,
      SecretString: JSON.stringify(value),
      VersionStages: ['RECOVERY'],
    }),
  );
  await admin.sm.send(
    new UpdateSecretVersionStageCommand({
      SecretId: secretId,
      VersionStage: 'AWSCURRENT',
      MoveToVersionId: put.VersionId,
      RemoveFromVersionId: old,
    }),
  );
}

function auditOf(token: string, step: string): Record<string, unknown> | undefined {
  return lambda
    .jsonLines()
    .map((line) => line.audit as Record<string, unknown> | undefined)
    .filter((a) => a?.version === token && a.step === step)
    .at(-1);
}

describe('zoho-oauth failures (built bundle, moto, local Zoho)', () => {
  it('is rate limited, then succeeds in a later attempt without minting an extra token', async () => {
    const { tenant, secretId } = await tenantSecret();
    for (let i = 0; i < 10; i++) {
      secretsSeen.add((await mintDirectly(zoho, tenant.client, tenant.refreshToken)).access_token);
    }
    const before = await admin.valueAt(secretId, 'AWSCURRENT');
    const token = await driver.startRotation(secretId);

    const throttled = await failingStep({
      SecretId: secretId,
      ClientRequestToken: token,
      Step: 'createSecret',
    });
    expect(throttled.errorType).toBe('RateLimitedError');
    expect(throttled.message).toContain('too many requests ("Access Denied")');
    expect(auditOf(token, 'createSecret')).toMatchObject({ outcome: 'failed', retryable: true });
    expect(zoho.mintsFor(tenant.refreshToken)).toBe(10);
    expect(await admin.valueAt(secretId, 'AWSPENDING')).toBeUndefined();

    // The service retries later; Zoho's window has passed by then.
    zoho.advanceTime(10 * 60 * 1000 + 1);
    await driver.runSteps(secretId, token, invoke);
    expect(zoho.mintsFor(tenant.refreshToken)).toBe(11);
    // A further createSecret for the same version keeps what is stored: no twelfth token.
    const again = await invoke({ SecretId: secretId, ClientRequestToken: token, Step: 'createSecret' });
    expect(again).toMatchObject({ outcome: 'skipped' });
    expect(zoho.mintsFor(tenant.refreshToken)).toBe(11);

    const after = await admin.valueAt<TokenSet>(secretId, 'AWSCURRENT');
    expect(after).not.toEqual(before);
    expect(await callCrm(zoho, after?.access_token ?? '')).toEqual({ status: 200 });
    await rememberStages(secretId);
  });

  it('stops on a revoked refresh token (invalid_code), says a person must grant anew, and recovers once one does', async () => {
    const { tenant, secretId } = await tenantSecret();
    zoho.revokeRefreshToken(tenant.refreshToken);
    const token = await driver.startRotation(secretId);

    const refused = await failingStep({
      SecretId: secretId,
      ClientRequestToken: token,
      Step: 'createSecret',
    });
    expect(refused.errorType).toBe('CredentialRejectedError');
    expect(refused.message).toContain('refused the refresh token (invalid_code)');
    const audit = auditOf(token, 'createSecret');
    expect(audit).toMatchObject({
      outcome: 'failed',
      retryable: false,
      errorClass: 'CredentialRejectedError',
    });
    expect(audit?.action).toContain('A person must create a new grant');
    expect(audit?.action).toContain('grant_type=authorization_code');

    // The person follows the steps: a grant code from the API console, exchanged for a refresh token.
    const code = zoho.createGrantCode(tenant.client);
    const exchanged = (await (
      await fetch(`${zoho.url}/oauth/v2/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          client_id: tenant.client.clientId,
          client_secret: tenant.client.clientSecret,
          code,
        }),
      })
    ).json()) as { refresh_token: string; access_token: string };
    secretsSeen.add(exchanged.refresh_token).add(exchanged.access_token);
    // As docs/zoho-oauth.md says: un-stage the failed rotation's AWSPENDING, store the new refresh
    // token as AWSCURRENT, rotate.
    const stuck = await admin.versionAt(secretId, 'AWSPENDING');
    expect(stuck).toBe(token);
    await admin.sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: token,
      }),
    );
    await storeAsCurrent(secretId, { ...tenant.secret, refresh_token: exchanged.refresh_token });
    await driver.rotate(secretId, invoke);
    const value = await admin.valueAt<TokenSet>(secretId, 'AWSCURRENT');
    expect(value?.refresh_token).toBe(exchanged.refresh_token);
    expect(await callCrm(zoho, value?.access_token ?? '')).toEqual({ status: 200 });
    await rememberStages(secretId);
  });

  it.each([
    [
      'accounts_server',
      { accounts_server: 'https://accounts.zoho.eu.attacker.example' },
      'is not a Zoho accounts server',
    ],
    ['accounts_server', { accounts_server: 'http://10.1.2.3:8080' }, 'must use https'],
    ['api_domain', { api_domain: 'https://www.zohoapis.com' }, 'must both be Zoho hosts or both be loopback'],
    ['api_domain', { api_domain: 'https://attacker.example' }, 'is not a Zoho API domain'],
  ])('refuses a tampered %s before any request: %j', async (_field, tampered, message) => {
    const { secretId } = await tenantSecret({}, tampered);
    const seen = zoho.requests.length;
    const token = await driver.startRotation(secretId);

    const refused = await failingStep({
      SecretId: secretId,
      ClientRequestToken: token,
      Step: 'createSecret',
    });
    expect(refused.errorType).toBe('UnsafeEndpointError');
    expect(refused.message).toContain(message);
    expect(zoho.requests.length).toBe(seen);
    expect(auditOf(token, 'createSecret')).toMatchObject({ retryable: false });
    expect(await admin.valueAt(secretId, 'AWSPENDING')).toBeUndefined();
  });

  it('refuses an api_domain in Zoho token answer that is not the account data centre, and stores nothing', async () => {
    const { secretId } = await tenantSecret();
    zoho.configure({ apiDomain: 'https://www.zohoapis.eu' });
    const token = await driver.startRotation(secretId);
    const refused = await failingStep({
      SecretId: secretId,
      ClientRequestToken: token,
      Step: 'createSecret',
    });
    expect(refused.errorType).toBe('UnsafeEndpointError');
    expect(refused.message).toContain('the api_domain in Zoho token answer');
    expect(await admin.valueAt(secretId, 'AWSPENDING')).toBeUndefined();
  });

  it('refuses the plain-http loopback Zoho when ALLOW_LOOPBACK_HTTP is not true', async () => {
    const { secretId } = await tenantSecret();
    const strict = await LocalLambda.start('zoho-oauth', { env: { ALLOW_LOOPBACK_HTTP: 'false' } });
    try {
      const seen = zoho.requests.length;
      const token = await driver.startRotation(secretId);
      const error = await strict
        .invoke({ SecretId: secretId, ClientRequestToken: token, Step: 'createSecret' })
        .then(
          () => undefined,
          (caught: unknown) => caught as LambdaInvokeError,
        );
      expect(error?.errorType).toBe('UnsafeEndpointError');
      expect(error?.message).toContain('`accounts_server` must use https');
      expect(zoho.requests.length).toBe(seen);
    } finally {
      await strict.stop();
    }
  });

  it('fails testSecret with an access token Zoho no longer accepts (expired), leaving AWSCURRENT alone', async () => {
    const { secretId } = await tenantSecret({ withAccessToken: true });
    const before = await admin.versionAt(secretId, 'AWSCURRENT');
    const token = await driver.startRotation(secretId);
    await driver.runSteps(secretId, token, invoke, ['createSecret', 'setSecret']);
    await rememberStages(secretId);

    // An hour passes at Zoho before testSecret runs (a stalled rotation).
    zoho.advanceTime(3600 * 1000 + 1);
    const refused = await failingStep({ SecretId: secretId, ClientRequestToken: token, Step: 'testSecret' });
    expect(refused.errorType).toBe('AccessTokenRejectedError');
    expect(refused.message).toContain('refused the pending access token (INVALID_TOKEN)');
    const audit = auditOf(token, 'testSecret');
    expect(audit).toMatchObject({ retryable: false });
    expect(audit?.action).toContain(`--version-stage AWSPENDING --remove-from-version-id ${token}`);
    expect(await admin.versionAt(secretId, 'AWSCURRENT')).toBe(before);
  });

  it('does not promote a pending token about to expire, and says so without asking Zoho', async () => {
    zoho.configure({ accessTokenTtlSeconds: 120 });
    const { secretId } = await tenantSecret();
    const token = await driver.startRotation(secretId);
    await driver.runSteps(secretId, token, invoke, ['createSecret', 'setSecret']);
    await rememberStages(secretId);
    const crmCalls = zoho.requests.filter((r) => r.path.startsWith('/crm/')).length;

    const refused = await failingStep({ SecretId: secretId, ClientRequestToken: token, Step: 'testSecret' });
    expect(refused.errorType).toBe('CredentialRejectedError');
    expect(refused.message).toMatch(
      /the pending access token expires at .*: the rotation that minted it stalled/,
    );
    expect(zoho.requests.filter((r) => r.path.startsWith('/crm/')).length).toBe(crmCalls);
  });

  it('fails testSecret when the grant lacks the users scope (OAUTH_SCOPE_MISMATCH)', async () => {
    const { secretId } = await tenantSecret({ scopes: ['ZohoCRM.modules.ALL'] });
    const token = await driver.startRotation(secretId);
    await driver.runSteps(secretId, token, invoke, ['createSecret', 'setSecret']);
    await rememberStages(secretId);
    const refused = await failingStep({ SecretId: secretId, ClientRequestToken: token, Step: 'testSecret' });
    expect(refused.errorType).toBe('PermissionDeniedError');
    expect(refused.message).toContain('OAUTH_SCOPE_MISMATCH');
    expect(auditOf(token, 'testSecret')?.action).toContain('ZohoCRM.users.READ');
  });

  it('puts no token or client secret in any log line, metric, error or SNS alert', async () => {
    // One more success and one more failure of its own, so this test stands alone too.
    const ok = await tenantSecret();
    await driver.rotate(ok.secretId, invoke);
    await rememberStages(ok.secretId);
    const bad = await tenantSecret();
    zoho.revokeRefreshToken(bad.tenant.refreshToken);
    const token = await driver.startRotation(bad.secretId);
    const error = await failingStep({
      SecretId: bad.secretId,
      ClientRequestToken: token,
      Step: 'createSecret',
    });

    const deadline = Date.now() + 10_000;
    while (!alerts.messages.some((m) => m.Message.includes(bad.secretId)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const invalidCode = alerts.messages.find((m) => m.Message.includes(bad.secretId));
    expect(JSON.parse(invalidCode?.Message ?? '{}')).toMatchObject({
      type: 'rotation-failure',
      kind: 'zoho-oauth',
      step: 'createSecret',
      errorClass: 'CredentialRejectedError',
      retryable: false,
    });
    expect(invalidCode?.Subject).toBe('Rotation failed: zoho-oauth createSecret (CredentialRejectedError)');

    const everything = [
      lambda.output(),
      error.message,
      error.trace,
      ...alerts.messages.map((m) => `${m.Subject ?? ''}\n${m.Message}`),
    ].join('\n');
    expect(everything).toContain('"outcome":"succeeded"');
    expect(alerts.messages.length).toBeGreaterThanOrEqual(1);
    expect(secretsSeen.size).toBeGreaterThanOrEqual(5);
    const leaked = [...secretsSeen].filter((secret) => everything.includes(secret));
    expect(leaked).toEqual([]);
  });
});
