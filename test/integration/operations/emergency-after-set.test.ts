import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalLambda } from '../../../dev/aws/local-lambda';
import { type LocalLambdaServer, startLocalLambdaServer } from '../../../dev/aws/local-lambda-server';
import { startWebhookStack, type WebhookStack } from '../../../dev/targets/bearer-stacks';
import { postgresFunctionEnv } from '../../../dev/targets/postgres/fixture';
import { type PostgresCluster, startPostgres } from '../../../dev/targets/postgres/cluster';
import { localFunctionArn, RotationDriver } from '../../../dev/aws/rotation-driver';
import { type RotationServiceHandle, startRotationService } from '../../../dev/aws/rotation-service';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import { postgresTarget } from '../../../dev/targets';

/**
 * The worst moment for an emergency: a rotation crashed after its setSecret replaced the credential
 * at the target (a single user's password, a webhook sender's token), so neither AWSCURRENT nor
 * AWSPREVIOUS works there any more. Emergency-rotate keeps that pending value reachable as
 * ROTATION_ABANDONED, and the new rotation logs in with it instead of locking everyone out.
 */
const admin = new SecretsAdmin();
const driver = new RotationDriver();
let cluster: PostgresCluster;
let lambdaApi: LocalLambdaServer;
let emergency: LocalLambda;
const lambdas: LocalLambda[] = [];
let service: RotationServiceHandle | undefined;
let webhook: WebhookStack | undefined;

async function rotationFunction(
  functionName: string,
  env: Record<string, string> = {},
): Promise<LocalLambda> {
  // Runs as the name the secrets are wired to: a function acts only on its own secrets.
  const lambda = await LocalLambda.start(functionName, {
    env,
    invokedAs: `emergency-after-set-${functionName}`,
  });
  lambdas.push(lambda);
  lambdaApi.register(`emergency-after-set-${functionName}`, (event) => lambda.invoke(event));
  return lambda;
}

beforeAll(async () => {
  cluster = await startPostgres();
  lambdaApi = await startLocalLambdaServer();
  emergency = await LocalLambda.start('emergency-rotate', {
    env: {
      AWS_ENDPOINT_URL_LAMBDA: lambdaApi.endpoint,
      // This file's rotation functions are the suite emergency-rotate acts through.
      SUITE_ROTATION_FUNCTION_ARNS: ['postgres', 'webhook-bearer']
        .map((kind) => localFunctionArn(`emergency-after-set-${kind}`))
        .join(','),
      EMERGENCY_WAIT_SECONDS: '30',
      EMERGENCY_POLL_MS: '100',
    },
  });
});

afterAll(async () => {
  await service?.stop();
  await webhook?.stop();
  await Promise.all([emergency, ...lambdas].map((lambda) => lambda?.stop()));
  await lambdaApi?.stop();
  await cluster?.stop();
});

/** Rotate once, then start a second rotation and crash it right after setSecret. */
async function crashAfterSet(secretId: string, lambda: LocalLambda, functionName: string): Promise<string> {
  const invoke = (event: unknown) => lambda.invoke(event);
  await driver.rotate(secretId, invoke, `emergency-after-set-${functionName}`);
  const token = await driver.startRotation(secretId, 30, `emergency-after-set-${functionName}`);
  await driver.runSteps(secretId, token, invoke, ['createSecret', 'setSecret']);
  return token;
}

describe('emergency rotation after a crash that left the target on the pending credential', () => {
  it('single-user PostgreSQL: the new rotation logs in with the abandoned password', async () => {
    const target = await postgresTarget(cluster, admin, 'single-user');
    const lambda = await rotationFunction('postgres', postgresFunctionEnv());
    const stale = await crashAfterSet(target.secretId, lambda, 'postgres');
    const stranded = (await admin.valueAt(target.secretId, 'AWSPENDING')) ?? {};
    expect(await target.accepts((await admin.valueAt(target.secretId, 'AWSCURRENT')) ?? {})).toBe(false);
    expect(await target.accepts(stranded)).toBe(true);

    service = await startRotationService([target.secretId], (event) => lambda.invoke(event));
    const report = await emergency.invoke({
      secretId: target.secretId,
      reason: 'stuck rotation, leaked password',
    });
    await service.stop();
    service = undefined;

    expect(report).toMatchObject({ outcome: 'succeeded', clearedPendingVersions: [stale] });
    const current = (await admin.valueAt(target.secretId, 'AWSCURRENT')) ?? {};
    expect(await target.accepts(current)).toBe(true);
    expect(await target.accepts(stranded)).toBe(false);
    // Promotion retired the label: nothing points at the abandoned credential any more.
    expect(Object.values(await admin.stages(target.secretId)).flat()).not.toContain('ROTATION_ABANDONED');
    const setLine = lambda
      .jsonLines()
      .map((line) => line.audit as Record<string, unknown> | undefined)
      .filter((audit) => audit?.step === 'setSecret' && audit.outcome === 'succeeded')
      .at(-1);
    expect(setLine).toMatchObject({ loggedInWith: 'ROTATION_ABANDONED', passwordChanged: true });
  });

  it('webhook with a registered sender: the new token is registered with the abandoned one', async () => {
    webhook = await startWebhookStack({ admin, withSender: true, ttlMs: 200, minRefreshIntervalMs: 20 });
    const sender = webhook.sender;
    if (!sender) throw new Error('the stack has no sender');
    const lambda = await rotationFunction('webhook-bearer');
    await crashAfterSet(webhook.secretId, lambda, 'webhook-bearer');
    const stranded = (await admin.valueAt<{ token: string }>(webhook.secretId, 'AWSPENDING'))?.token;
    expect(sender.token()).toBe(stranded);

    service = await startRotationService([webhook.secretId], (event) => lambda.invoke(event));
    const report = await emergency.invoke({ secretId: webhook.secretId, reason: 'stuck rotation' });
    await service.stop();
    service = undefined;

    expect(report).toMatchObject({ outcome: 'succeeded' });
    const current = (await admin.valueAt<{ token: string }>(webhook.secretId, 'AWSCURRENT'))?.token;
    expect(sender.token()).toBe(current);
    webhook.verifier.invalidate();
    expect(await sender.send({ type: 'after-emergency' })).toBe(200);
  });
});
