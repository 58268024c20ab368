import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalLambda } from '../../../dev/aws/local-lambda';
import { type LocalLambdaServer, startLocalLambdaServer } from '../../../dev/aws/local-lambda-server';
import { type RotationEventShape, RotationDriver } from '../../../dev/aws/rotation-driver';
import { startRotationService } from '../../../dev/aws/rotation-service';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import { callCrm, createZohoTenant } from '../../../dev/targets/zoho/tenant';
import { startZohoServer, type ZohoServer } from '../../../dev/targets/zoho/server';

/**
 * The operator's path end to end: the emergency-rotate bundle clears a rotation stuck after
 * createSecret, rotates the Zoho secret (the rotation service emulator drives the zoho-oauth
 * bundle through the steps) and has the zoho-oauth bundle revoke the previous access token, through
 * the Lambda Invoke API served locally.
 */
interface TokenSet {
  access_token: string;
  [key: string]: unknown;
}

const admin = new SecretsAdmin();
const driver = new RotationDriver();
let zoho: ZohoServer;
let lambdaApi: LocalLambdaServer;
let rotation: LocalLambda;
let emergency: LocalLambda;

beforeAll(async () => {
  zoho = await startZohoServer();
  lambdaApi = await startLocalLambdaServer();
  rotation = await LocalLambda.start('zoho-oauth');
  emergency = await LocalLambda.start('emergency-rotate', {
    env: {
      AWS_ENDPOINT_URL_LAMBDA: lambdaApi.endpoint,
      EMERGENCY_WAIT_SECONDS: '20',
      EMERGENCY_POLL_MS: '100',
    },
  });
  lambdaApi.register(await driver.rotationLambdaArn(), (event) => rotation.invoke(event));
});
afterAll(async () => {
  await emergency?.stop();
  await rotation?.stop();
  await lambdaApi?.stop();
  await zoho?.stop();
});

describe('emergency rotation of a Zoho secret', () => {
  it('clears a stuck pending version, mints a fresh token, and revokes the previous one', async () => {
    const tenant = await createZohoTenant(zoho, { withAccessToken: true });
    const secretId = await admin.create(admin.uniqueName('crm', 'zoho'), tenant.secret);
    const leaked = tenant.secret.access_token ?? '';
    // A rotation that minted its token and then stalled (its pending token would expire unused).
    const stuck = await driver.startRotation(secretId);
    await driver.runSteps(secretId, stuck, (event: RotationEventShape) => rotation.invoke(event), [
      'createSecret',
    ]);

    const service = await startRotationService([secretId], (event) => rotation.invoke(event));
    try {
      const result = await emergency.invoke({
        secretId,
        reason: 'access token in a log',
        revokePrevious: true,
      });
      expect(result).toMatchObject({
        outcome: 'succeeded',
        clearedPendingVersions: [stuck],
        revokedPrevious: true,
      });
    } finally {
      await service.stop();
    }

    const current = (await admin.valueAt<TokenSet>(secretId, 'AWSCURRENT')) as TokenSet;
    expect(current.access_token).not.toBe(leaked);
    expect(await callCrm(zoho, current.access_token)).toEqual({ status: 200 });
    expect(await callCrm(zoho, leaked)).toEqual({ status: 401, code: 'INVALID_TOKEN' });
    // The initial token, the stalled rotation's, the emergency rotation's: nothing more.
    expect(zoho.mintsFor(tenant.refreshToken)).toBe(3);
  });
});
