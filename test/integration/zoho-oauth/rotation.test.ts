import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LambdaInvokeError, LocalLambda } from '../../../dev/aws/local-lambda';
import { SecretCache } from '../../../packages/consumer/src/secret-cache';
import {
  type RotationEventShape,
  RotationDriver,
  type RotationFailedError,
} from '../../../dev/aws/rotation-driver';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import { callCrm, createZohoTenant } from '../../../dev/targets/zoho/tenant';
import { startZohoServer, type ZohoServer } from '../../../dev/targets/zoho/server';

/**
 * Full rotations through the built bundle (dist/zoho-oauth), moto's Secrets Manager and the local
 * Zoho: what a scheduled rotation does, and what clients holding the secret experience meanwhile.
 */
interface TokenSet {
  client_id?: string;
  client_secret?: string;
  refresh_token: string;
  accounts_server: string;
  api_domain: string;
  access_token: string;
  token_type: string;
  expires_at: string;
  [key: string]: unknown;
}

const admin = new SecretsAdmin();
const driver = new RotationDriver();
let zoho: ZohoServer;
let lambda: LocalLambda;
const invoke = (event: RotationEventShape) => lambda.invoke(event);

beforeAll(async () => {
  zoho = await startZohoServer();
  lambda = await LocalLambda.start('zoho-oauth');
});
afterAll(async () => {
  await lambda?.stop();
  await zoho?.stop();
});
afterEach(() => zoho.configure({ legacyExpiry: false, maxActiveAccessTokens: 15 }));

const current = (secretId: string) => admin.valueAt<TokenSet>(secretId, 'AWSCURRENT') as Promise<TokenSet>;

function expectAboutOneHourAhead(expiresAt: string, mintedAfter: number) {
  const expires = Date.parse(expiresAt);
  expect(expires).toBeGreaterThanOrEqual(mintedAfter + 3600 * 1000 - 1000);
  expect(expires).toBeLessThanOrEqual(Date.now() + 3600 * 1000);
}

describe('zoho-oauth rotation (built bundle, moto, local Zoho)', () => {
  it('turns an onboarding secret into a working token set with one mint, keeping the other keys', async () => {
    const tenant = await createZohoTenant(zoho);
    const secretId = await admin.create(admin.uniqueName('crm', 'zoho'), {
      ...tenant.secret,
      owner: 'crm-team',
    });
    const started = Date.now();

    const token = await driver.rotate(secretId, invoke);

    const value = await current(secretId);
    expect(value).toMatchObject({
      ...tenant.secret,
      owner: 'crm-team',
      api_domain: zoho.url,
      token_type: 'Bearer',
    });
    expect(value.access_token).toMatch(/^1000\./);
    expectAboutOneHourAhead(value.expires_at, started);
    expect(await callCrm(zoho, value.access_token)).toEqual({ status: 200 });
    expect(zoho.mintsFor(tenant.refreshToken)).toBe(1);
    expect((await admin.stages(secretId))[token]).toEqual(['AWSCURRENT']);

    const audit = lambda
      .jsonLines()
      .map((line) => line.audit as Record<string, unknown> | undefined)
      .filter((a) => a?.version === token);
    expect(audit.map((a) => `${a?.step}:${a?.outcome}`)).toEqual([
      'createSecret:succeeded',
      'setSecret:succeeded',
      'testSecret:succeeded',
      'finishSecret:succeeded',
    ]);
    expect(audit[0]).toMatchObject({ dataCentre: 'loopback', accessTokenLifetimeSeconds: 3600 });
    expect(audit[1]).toMatchObject({ zohoSideEffect: 'none' });
    expect(audit[2]?.zohoUserId).toMatch(/^\d+$/);
    expect(lambda.output()).toContain('setSecret: nothing changes on the Zoho side');
  });

  it('keeps the previous access token working after rotation until it expires', async () => {
    const tenant = await createZohoTenant(zoho, { withAccessToken: true });
    const secretId = await admin.create(admin.uniqueName('crm', 'zoho'), tenant.secret);

    await driver.rotate(secretId, invoke);

    const previous = await admin.valueAt<TokenSet>(secretId, 'AWSPREVIOUS');
    const now = await current(secretId);
    expect(previous?.access_token).toBe(tenant.secret.access_token);
    expect(now.access_token).not.toBe(previous?.access_token);
    expect(await callCrm(zoho, previous?.access_token ?? '')).toEqual({ status: 200 });
    expect(await callCrm(zoho, now.access_token)).toEqual({ status: 200 });

    // Both tokens are an hour old at Zoho: the previous one (minted first) is refused from then on.
    zoho.advanceTime(3600 * 1000);
    expect(await callCrm(zoho, previous?.access_token ?? '')).toEqual({ status: 401, code: 'INVALID_TOKEN' });
  });

  it('serves clients without a single refused call across three rotations', async () => {
    const tenant = await createZohoTenant(zoho, { withAccessToken: true });
    const secretId = await admin.create(admin.uniqueName('crm', 'zoho'), tenant.secret);
    const result = await clientLoopDuring(secretId, 3);
    expect(result.refused).toEqual([]);
    expect(result.calls).toBeGreaterThan(20);
    expect(result.tokensSeen).toBeGreaterThanOrEqual(3);
    expect(zoho.mintsFor(tenant.refreshToken)).toBe(4);
  });

  it('would refuse calls if Zoho invalidated the previous token on refresh (the loop above can fail)', async () => {
    zoho.configure({ maxActiveAccessTokens: 1 });
    const tenant = await createZohoTenant(zoho, { withAccessToken: true });
    const secretId = await admin.create(admin.uniqueName('crm', 'zoho'), tenant.secret);
    const result = await clientLoopDuring(secretId, 3);
    expect(result.refused.length).toBeGreaterThan(0);
  });

  it('mints exactly once when every step is invoked twice', async () => {
    const tenant = await createZohoTenant(zoho);
    const secretId = await admin.create(admin.uniqueName('crm', 'zoho'), tenant.secret);
    const reports: unknown[] = [];
    await driver.rotate(secretId, async (event) => {
      reports.push(await invoke(event));
      reports.push(await invoke(event));
    });
    expect(zoho.mintsFor(tenant.refreshToken)).toBe(1);
    expect(reports[1]).toMatchObject({ step: 'createSecret', detail: 'kept the existing pending value' });
    expect(await callCrm(zoho, (await current(secretId)).access_token)).toEqual({ status: 200 });
  });

  it('reads the lifetime of older token answers (expires_in_sec, expires_in in milliseconds)', async () => {
    zoho.configure({ legacyExpiry: true });
    const tenant = await createZohoTenant(zoho);
    const secretId = await admin.create(admin.uniqueName('crm', 'zoho'), tenant.secret);
    const started = Date.now();
    await driver.rotate(secretId, invoke);
    expectAboutOneHourAhead((await current(secretId)).expires_at, started);
  });

  it('takes the client credentials from client_secret_arn, so the rotated secret holds no client secret', async () => {
    const { tenant, clientArn, secretId } = await secretWithClientArn(admin.uniqueName('crm', 'zoho-client'));

    const token = await driver.rotate(secretId, invoke);

    const value = await current(secretId);
    expect(value.client_secret).toBeUndefined();
    expect(value.client_secret_arn).toBe(clientArn);
    expect(await callCrm(zoho, value.access_token)).toEqual({ status: 200 });
    const create = lambda
      .jsonLines()
      .map((line) => line.audit as Record<string, unknown> | undefined)
      .find((a) => a?.version === token && a.step === 'createSecret');
    expect(create).toMatchObject({ clientFrom: 'client_secret_arn' });
    expect(lambda.output()).not.toContain(tenant.client.clientSecret);
  });

  it('refuses a client_secret_arn of another environment before reading it or calling Zoho', async () => {
    const { clientArn: prodClient, secretId } = await secretWithClientArn(
      `sergas/crm/prod/zoho-client-${Date.now()}`,
    );
    const seen = zoho.requests.length;
    const once = new RotationDriver({ attemptsPerStep: 1 });
    const failure = await once.rotate(secretId, invoke).then(
      () => undefined,
      (error: unknown) => error as RotationFailedError,
    );
    expect(failure?.step).toBe('createSecret');
    expect((failure?.lastError as LambdaInvokeError).errorType).toBe('CrossEnvironmentReferenceError');
    expect((failure?.lastError as Error).message).toContain(
      `\`client_secret_arn\` names ${prodClient}, a secret of environment prod, not dev`,
    );
    expect(zoho.requests.length).toBe(seen);
    expect(await admin.valueAt(secretId, 'AWSPENDING')).toBeUndefined();
  });
});

/** A tenant whose client credentials live in their own secret (`clientName`), named by client_secret_arn. */
async function secretWithClientArn(clientName: string) {
  const tenant = await createZohoTenant(zoho);
  const clientArn = await admin.create(clientName, {
    client_id: tenant.client.clientId,
    client_secret: tenant.client.clientSecret,
  });
  const rest = Object.fromEntries(
    Object.entries(tenant.secret).filter(([key]) => key !== 'client_id' && key !== 'client_secret'),
  );
  const secretId = await admin.create(admin.uniqueName('crm', 'zoho'), {
    ...rest,
    client_secret_arn: clientArn,
  });
  return { tenant, clientArn, secretId };
}

/**
 * A client that reads AWSCURRENT through the consumer cache (short TTL) and calls the CRM API in a
 * loop while `rotations` rotations run back to back. Records every refused call.
 */
async function clientLoopDuring(secretId: string, rotations: number) {
  const cache = new SecretCache({ ttlMs: 100 });
  const refused: string[] = [];
  const tokens = new Set<string>();
  let calls = 0;
  let running = true;
  const client = (async () => {
    while (running) {
      const value = JSON.parse(await cache.get(secretId)) as TokenSet;
      tokens.add(value.access_token);
      const answer = await callCrm(zoho, value.access_token);
      calls++;
      if (answer.status !== 200) refused.push(answer.code ?? String(answer.status));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  try {
    for (let i = 0; i < rotations; i++) await driver.rotate(secretId, invoke);
    // Let the cache expire once more, so the last promotion is seen too.
    await new Promise((resolve) => setTimeout(resolve, 250));
  } finally {
    running = false;
    await client;
  }
  return { refused, calls, tokensSeen: tokens.size };
}
