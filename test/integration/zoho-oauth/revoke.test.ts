import { PutSecretValueCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LambdaInvokeError } from '../../../scripts/lib/local-lambda';
import { LocalLambda } from '../../../scripts/lib/local-lambda';
import { type RotationEventShape, RotationDriver } from '../../support/rotation-driver';
import { SecretsAdmin } from '../../support/secrets-admin';
import { callCrm, createZohoTenant, mintDirectly } from '../../support/zoho-tenant';
import { startZohoServer, type ZohoServer } from '../../support/zoho-server';

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
afterEach(() => zoho.configure({ accessTokenRevocation: 'revokes' }));

async function rotatedSecret() {
  const tenant = await createZohoTenant(zoho, { withAccessToken: true });
  const secretId = await admin.create(admin.uniqueName('crm', 'zoho'), tenant.secret);
  await driver.rotate(secretId, invoke);
  const previous = (await admin.valueAt<TokenSet>(secretId, 'AWSPREVIOUS')) as TokenSet;
  const current = (await admin.valueAt<TokenSet>(secretId, 'AWSCURRENT')) as TokenSet;
  return { tenant, secretId, previous, current };
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

  it('revokes the old refresh token, and every access token minted from it, once a person stored a new grant', async () => {
    const { tenant, secretId, current } = await rotatedSecret();
    const extra = await mintDirectly(zoho, tenant.client, tenant.refreshToken);
    // A person generated a new grant and stored its refresh token as the new AWSCURRENT.
    const newRefresh = zoho.issueRefreshToken(tenant.client);
    const fresh = await mintDirectly(zoho, tenant.client, newRefresh);
    const old = await admin.versionAt(secretId, 'AWSCURRENT');
    const put = await admin.sm.send(
      new PutSecretValueCommand({
        SecretId: secretId,
        SecretString: JSON.stringify({ ...current, ...fresh, refresh_token: newRefresh }),
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
