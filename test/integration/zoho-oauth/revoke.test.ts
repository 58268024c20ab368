import { PutSecretValueCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LambdaInvokeError } from '../../../dev/aws/local-lambda';
import { LocalLambda } from '../../../dev/aws/local-lambda';
import { type RotationEventShape, RotationDriver } from '../../../dev/aws/rotation-driver';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import { callCrm, createZohoTenant, mintDirectly } from '../../../dev/targets/zoho/tenant';
import { startZohoServer, type ZohoServer } from '../../../dev/targets/zoho/server';

/**
 * Emergency revoke ({Action: 'revokePrevious'}) after a rotation: what Zoho lets us revoke is
 * revoked, and the result is checked against the CRM API rather than taken from Zoho's answer.
 */
interface TokenSet {
  refresh_token: string;
  access_token: string;
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
afterEach(() => zoho.configure({ accessTokenRevocation: 'revokes', refreshTokenRevocation: 'revokes' }));

async function rotatedSecret() {
  const tenant = await createZohoTenant(zoho, { withAccessToken: true });
  const secretId = await admin.create(admin.uniqueName('crm', 'zoho'), tenant.secret);
  await driver.rotate(secretId, invoke);
  const previous = (await admin.valueAt<TokenSet>(secretId, 'AWSPREVIOUS')) as TokenSet;
  const current = (await admin.valueAt<TokenSet>(secretId, 'AWSCURRENT')) as TokenSet;
  return { tenant, secretId, previous, current };
}

/** What a person does with put-secret-value: a new AWSCURRENT, the old one becoming AWSPREVIOUS. */
async function storeAsCurrent(secretId: string, value: Record<string, unknown>): Promise<void> {
  const old = await admin.versionAt(secretId, 'AWSCURRENT');
  const put = await admin.sm.send(
    new PutSecretValueCommand({
      SecretId: secretId,
      SecretString: JSON.stringify(value),
      VersionStages: ['NEW-GRANT'],
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

/**
 * Wire a secret to the rotation function without rotating it: RotateSecret, then the rotation
 * cancelled (its AWSPENDING taken off). The function revokes only on secrets wired to it.
 */
async function wireWithoutRotating(secretId: string): Promise<void> {
  const token = await driver.startRotation(secretId);
  await admin.sm.send(
    new UpdateSecretVersionStageCommand({
      SecretId: secretId,
      VersionStage: 'AWSPENDING',
      RemoveFromVersionId: token,
    }),
  );
}

/** A secret wired for rotation, never rotated, whose access token expired a minute ago. */
async function secretWithExpiredToken() {
  const tenant = await createZohoTenant(zoho);
  const value = {
    ...tenant.secret,
    access_token: '1000.expired.token-from-yesterday',
    token_type: 'Bearer',
    expires_at: new Date(Date.now() - 60_000).toISOString(),
  };
  const secretId = await admin.create(admin.uniqueName('crm', 'zoho'), value);
  await wireWithoutRotating(secretId);
  return { tenant, secretId, value };
}

const revokeEvent = (secretId: string) => ({
  Action: 'revokePrevious',
  SecretId: secretId,
  Reason: 'token in a log',
});

function lastAudit(): Record<string, unknown> | undefined {
  return lambda
    .jsonLines()
    .map((line) => line.audit as Record<string, unknown> | undefined)
    .filter((a) => a?.step === 'revokePrevious')
    .at(-1);
}

describe('zoho-oauth emergency revoke of AWSPREVIOUS', () => {
  it('revokes the previous access token, proves Zoho CRM refuses it, and leaves the current one working', async () => {
    const { tenant, secretId, previous, current } = await rotatedSecret();
    expect(await callCrm(zoho, previous.access_token)).toEqual({ status: 200 });

    await lambda.invoke(revokeEvent(secretId));

    expect(await callCrm(zoho, previous.access_token)).toEqual({ status: 401, code: 'INVALID_TOKEN' });
    expect(await callCrm(zoho, current.access_token)).toEqual({ status: 200 });
    // The shared refresh token was left alone: the next rotation still mints.
    await driver.rotate(secretId, invoke);
    expect(zoho.mintsFor(tenant.refreshToken)).toBe(3);
    expect(lastAudit()).toMatchObject({
      outcome: 'succeeded',
      reason: 'token in a log',
      revoked: 'previous access token',
      zohoAnswer: 'revoked',
      checkedAtCrm: 'previous access token refused',
    });
  });

  it.each([
    ['refuses', 'Zoho refused to revoke it (HTTP 400)'],
    ['ignores', 'still works at Zoho CRM after the revocation request; it stays valid until'],
  ] as const)(
    'fails honestly when Zoho %s access-token revocation, saying until when the token lives',
    async (mode, text) => {
      zoho.configure({ accessTokenRevocation: mode });
      const { secretId, previous } = await rotatedSecret();

      const error = await lambda.invoke(revokeEvent(secretId)).then(
        () => undefined,
        (caught: unknown) => caught as LambdaInvokeError,
      );
      expect(error?.errorType).toBe('RotationError');
      expect(error?.message).toContain(text);
      expect(error?.message).toContain(previous.expires_at);
      expect(lastAudit()?.action).toContain('If the refresh token leaked, revoke it');
      expect(await callCrm(zoho, previous.access_token)).toEqual({ status: 200 });
    },
  );

  it('revokes the old refresh token, and every access token minted from it, once a person stored a new grant with its own access token', async () => {
    const { tenant, secretId, current } = await rotatedSecret();
    const extra = await mintDirectly(zoho, tenant.client, tenant.refreshToken);
    // A person generated a new grant and stored its refresh token, with an access token minted from
    // it, as the new AWSCURRENT.
    const newRefresh = zoho.issueRefreshToken(tenant.client);
    const fresh = await mintDirectly(zoho, tenant.client, newRefresh);
    await storeAsCurrent(secretId, { ...current, ...fresh, refresh_token: newRefresh });
    expect((await admin.valueAt<TokenSet>(secretId, 'AWSPREVIOUS'))?.refresh_token).toBe(tenant.refreshToken);

    await lambda.invoke(revokeEvent(secretId));

    expect(zoho.activeAccessTokens(tenant.refreshToken)).toBe(0);
    expect(await callCrm(zoho, current.access_token)).toEqual({ status: 401, code: 'INVALID_TOKEN' });
    expect(await callCrm(zoho, extra.access_token)).toEqual({ status: 401, code: 'INVALID_TOKEN' });
    await expect(mintDirectly(zoho, tenant.client, tenant.refreshToken)).rejects.toThrow('invalid_code');
    expect(await callCrm(zoho, fresh.access_token)).toEqual({ status: 200 });
    expect(lastAudit()).toMatchObject({ outcome: 'succeeded', revoked: 'previous refresh token' });
    await driver.rotate(secretId, invoke);
    expect(zoho.mintsFor(newRefresh)).toBe(2);
  });

  it('refuses to revoke the old refresh token while AWSCURRENT still holds the access token minted from it, revoking nothing', async () => {
    const { tenant, secretId, current } = await rotatedSecret();
    // A person stored the new grant "with the same keys": the access token is still the old grant's.
    const newRefresh = zoho.issueRefreshToken(tenant.client);
    await storeAsCurrent(secretId, { ...current, refresh_token: newRefresh });
    const seen = zoho.requests.length;

    const error = await lambda.invoke(revokeEvent(secretId)).then(
      () => undefined,
      (caught: unknown) => caught as LambdaInvokeError,
    );

    expect(error?.errorType).toBe('RevokeWouldCutOffClientsError');
    expect(error?.message).toContain('still the access token minted from the old one');
    expect(error?.message).toContain('Nothing was revoked');
    expect(zoho.requests.length).toBe(seen);
    expect(await callCrm(zoho, current.access_token)).toEqual({ status: 200 });
    expect(lastAudit()).toMatchObject({
      outcome: 'failed',
      retryable: false,
      action: expect.stringContaining('Rotate the secret now without revoking'),
    });

    // The action, followed: a rotation moves clients to a token of the new grant, after which the
    // old refresh token can be revoked by hand without cutting anyone off.
    await driver.rotate(secretId, invoke);
    const rotated = (await admin.valueAt<TokenSet>(secretId, 'AWSCURRENT')) as TokenSet;
    expect(rotated.refresh_token).toBe(newRefresh);
    zoho.revokeRefreshToken(tenant.refreshToken);
    expect(await callCrm(zoho, rotated.access_token)).toEqual({ status: 200 });
    expect(await callCrm(zoho, current.access_token)).toEqual({ status: 401, code: 'INVALID_TOKEN' });
  });

  it('lets an expired shared access token not block revoking the old refresh token', async () => {
    const { tenant, secretId, value } = await secretWithExpiredToken();
    await storeAsCurrent(secretId, { ...value, refresh_token: zoho.issueRefreshToken(tenant.client) });

    await lambda.invoke(revokeEvent(secretId));

    await expect(mintDirectly(zoho, tenant.client, tenant.refreshToken)).rejects.toThrow('invalid_code');
    expect(lastAudit()).toMatchObject({ outcome: 'succeeded', revoked: 'previous refresh token' });
  });

  it('fails when Zoho refuses to revoke the old refresh token and it still mints, though the old access token has expired', async () => {
    const { tenant, secretId, value } = await secretWithExpiredToken();
    const newRefresh = zoho.issueRefreshToken(tenant.client);
    const fresh = await mintDirectly(zoho, tenant.client, newRefresh);
    await storeAsCurrent(secretId, { ...value, ...fresh, refresh_token: newRefresh });
    zoho.configure({ refreshTokenRevocation: 'refuses' });

    const error = await lambda.invoke(revokeEvent(secretId)).then(
      () => undefined,
      (caught: unknown) => caught as LambdaInvokeError,
    );

    expect(error?.errorType).toBe('RefreshTokenStillValidError');
    expect(error?.message).toContain('refused to revoke the previous refresh token');
    expect(error?.message).toContain('still mints access tokens');
    expect(lastAudit()).toMatchObject({
      outcome: 'failed',
      errorClass: 'RefreshTokenStillValidError',
      retryable: false,
    });
    // What the function reported is true: the old refresh token still works.
    await expect(mintDirectly(zoho, tenant.client, tenant.refreshToken)).resolves.toMatchObject({
      token_type: 'Bearer',
    });
    expect(await callCrm(zoho, fresh.access_token)).toEqual({ status: 200 });
    const output = lambda.output();
    for (const token of [tenant.refreshToken, newRefresh, fresh.access_token, tenant.client.clientSecret]) {
      expect(output).not.toContain(token);
    }
  });

  it('proves a refresh token Zoho no longer knows dead by a mint answering invalid_code, so a retried revoke succeeds', async () => {
    const { tenant, secretId, value } = await secretWithExpiredToken();
    const newRefresh = zoho.issueRefreshToken(tenant.client);
    const fresh = await mintDirectly(zoho, tenant.client, newRefresh);
    await storeAsCurrent(secretId, { ...value, ...fresh, refresh_token: newRefresh });
    // Revoked already (an earlier attempt, or by hand): the revoke endpoint now answers 400.
    zoho.revokeRefreshToken(tenant.refreshToken);

    await lambda.invoke(revokeEvent(secretId));

    expect(lastAudit()).toMatchObject({
      outcome: 'succeeded',
      revoked: 'previous refresh token',
      zohoAnswer: 'refused',
      checkedAtZoho: 'previous refresh token refused (invalid_code)',
    });
    expect(await callCrm(zoho, fresh.access_token)).toEqual({ status: 200 });
  });

  it('has nothing to revoke when the previous access token has already expired, and asks Zoho nothing', async () => {
    const tenant = await createZohoTenant(zoho);
    const secretId = await admin.create(admin.uniqueName('crm', 'zoho'), {
      ...tenant.secret,
      access_token: '1000.expired.token-from-yesterday',
      token_type: 'Bearer',
      expires_at: new Date(Date.now() - 60_000).toISOString(),
    });
    await driver.rotate(secretId, invoke);
    const seen = zoho.requests.length;

    await lambda.invoke(revokeEvent(secretId));

    expect(zoho.requests.length).toBe(seen);
    expect(lastAudit()).toMatchObject({ outcome: 'succeeded', revoked: 'nothing' });
  });
});
