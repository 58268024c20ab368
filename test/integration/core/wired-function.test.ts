import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LambdaInvokeError, LocalLambda } from '../../../dev/aws/local-lambda';
import { type LocalLambdaServer, startLocalLambdaServer } from '../../../dev/aws/local-lambda-server';
import { RotationDriver } from '../../../dev/aws/rotation-driver';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';

/**
 * The built bundles act only on secrets wired to them: a rotation function refuses a secret whose
 * RotationLambdaARN names another function (its Lambda context says which function it is), and
 * emergency-rotate refuses a secret wired to a function outside the suite, before either touches it.
 */
const secrets = new SecretsAdmin();
const driver = new RotationDriver({ attemptsPerStep: 1 });
const VALUE = { host: '127.0.0.1', port: 1, username: 'app', password: 'never-used-Password-1', tls: false };

let asDeployed: LocalLambda;
let asAlias: LocalLambda;
let emergency: LocalLambda;
let lambdaApi: LocalLambdaServer;

beforeAll(async () => {
  lambdaApi = await startLocalLambdaServer();
  [asDeployed, asAlias, emergency] = await Promise.all([
    LocalLambda.start('redis', { invokedAs: 'sergas-dev-redis-rotation' }),
    LocalLambda.start('redis', { invokedAs: 'sergas-dev-redis-rotation:live' }),
    LocalLambda.start('emergency-rotate', {
      env: { AWS_ENDPOINT_URL_LAMBDA: lambdaApi.endpoint, EMERGENCY_WAIT_SECONDS: '5' },
    }),
  ]);
});

afterAll(async () => {
  await Promise.all([asDeployed?.stop(), asAlias?.stop(), emergency?.stop()]);
  await lambdaApi?.stop();
});

async function failure(promise: Promise<unknown>): Promise<LambdaInvokeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LambdaInvokeError);
  return error as LambdaInvokeError;
}

describe('a rotation function acts only on the secrets wired to it', () => {
  it('refuses a secret wired to another function, storing nothing', async () => {
    const secretId = await secrets.create(secrets.uniqueName('redis', 'password'), VALUE);
    const token = await driver.startRotation(secretId, 30, 'sergas-dev-postgres-rotation');
    const error = await failure(
      asDeployed.invoke({ SecretId: secretId, ClientRequestToken: token, Step: 'createSecret' }),
    );
    expect(error.errorType).toBe('WrongRotationFunctionError');
    expect(error.message).toContain(
      'is wired to rotation function arn:aws:lambda:us-east-1:123456789012:function:sergas-dev-postgres-rotation, not to arn:aws:lambda:us-east-1:123456789012:function:sergas-dev-redis-rotation',
    );
    expect(await secrets.valueAt(secretId, 'AWSPENDING')).toBeUndefined();

    const revoke = await failure(
      asDeployed.invoke({ Action: 'revokePrevious', SecretId: secretId, Reason: 'drill' }),
    );
    expect(revoke.errorType).toBe('WrongRotationFunctionError');
  });

  it('acts on a secret wired to it, whether invoked plain or through an alias', async () => {
    for (const lambda of [asDeployed, asAlias]) {
      const secretId = await secrets.create(secrets.uniqueName('redis', 'password'), VALUE);
      const token = await driver.startRotation(secretId, 30, 'sergas-dev-redis-rotation');
      await lambda.invoke({ SecretId: secretId, ClientRequestToken: token, Step: 'createSecret' });
      expect(await secrets.valueAt(secretId, 'AWSPENDING')).toMatchObject({ username: 'app' });
    }
  });

  it('never revokes on a secret whose rotation was never enabled', async () => {
    const secretId = await secrets.create(secrets.uniqueName('redis', 'password'), VALUE);
    const error = await failure(
      asDeployed.invoke({ Action: 'revokePrevious', SecretId: secretId, Reason: 'drill' }),
    );
    expect(error.errorType).toBe('RotationNotEnabledError');
  });
});

describe('emergency-rotate acts only through the suite rotation functions', () => {
  it('refuses a secret wired to a function outside the suite: no rotation, no invocation', async () => {
    const secretId = await secrets.create(secrets.uniqueName('redis', 'password'), VALUE);
    const token = await driver.startRotation(secretId, 30, 'someone-elses-rotation');
    const before = await secrets.stages(secretId);
    const error = await failure(
      emergency.invoke({ secretId, reason: 'leaked in a log', revokePrevious: true }),
    );
    expect(error.errorType).toBe('WrongRotationFunctionError');
    expect(error.message).toContain("which is not one of this suite's rotation functions; refused");
    expect(await secrets.stages(secretId)).toEqual(before);
    expect(before[token]).toEqual(['AWSPENDING']);
    expect(lambdaApi.invocations).toEqual([]);
  });
});
