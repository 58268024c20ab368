import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LambdaInvokeError, LocalLambda } from '../../../dev/aws/local-lambda';
import { RotationDriver } from '../../../dev/aws/rotation-driver';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import { startTcpProxy, type TcpProxy } from '../../../dev/lib/tcp-proxy';
import { createRedisUser, redisSecretValue } from '../../../dev/targets/redis/fixture';
import { type RedisServer, startRedis } from '../../../dev/targets/redis/server';

/**
 * A real Redis restarted in the middle of setSecret, through the built bundle. A TCP proxy pins the
 * moment: the node has answered the function's HELLO, and the next command is held, so the restart
 * closes a connection the node had already answered on. That is a restart, not a TLS mismatch: the
 * error says so, without the "tls: false is wrong" hint, and the retried step completes.
 */
const secrets = new SecretsAdmin();
const driver = new RotationDriver({ attemptsPerStep: 1 });

let server: RedisServer;
let proxy: TcpProxy;
let lambda: LocalLambda;

beforeAll(async () => {
  server = await startRedis();
  proxy = await startTcpProxy(server.host, server.port);
  lambda = await LocalLambda.start('redis');
});

afterAll(async () => {
  await lambda?.stop();
  await proxy?.stop();
  await server?.stop();
});

describe('Redis restarted in the middle of setSecret', () => {
  it('fails with a retryable "node restarted" error, no TLS hint, and the retry completes', async () => {
    const user = await createRedisUser([server]);
    const through = { ...server, host: proxy.host, port: proxy.port };
    const adminarn = await secrets.create(secrets.uniqueName('redis', 'admin'), {
      host: proxy.host,
      port: proxy.port,
      ...server.adminCreds,
    });
    const secretId = await secrets.create(
      secrets.uniqueName('redis', 'password'),
      redisSecretValue(through, user, { adminarn }),
    );
    const token = await driver.startRotation(secretId);
    const event = (Step: 'createSecret' | 'setSecret') => ({
      SecretId: secretId,
      ClientRequestToken: token,
      Step,
    });
    await lambda.invoke(event('createSecret'));

    const answered = proxy.holdAfterFirstReply();
    const setting = lambda.invoke(event('setSecret')).catch((error: unknown) => error);
    await answered;
    await server.restart();
    const failure = await setting;

    expect(failure).toBeInstanceOf(LambdaInvokeError);
    const { errorType, message } = failure as LambdaInvokeError;
    expect(errorType).toBe('TargetUnreachableError');
    expect(message).toBe(
      `Redis node ${proxy.host}:${proxy.port} closed the connection while reading the ACL of user ${user.username}, after answering on it: the node restarted, failed over or dropped the connection`,
    );
    expect(message).not.toMatch(/tls/i);
    const audit = lambda
      .jsonLines()
      .map((line) => line.audit as Record<string, unknown> | undefined)
      .filter((line) => line?.step === 'setSecret')
      .at(-1);
    expect(audit).toMatchObject({ outcome: 'failed', retryable: true });
    expect(String(audit?.action)).not.toMatch(/tls/i);

    // Secrets Manager retries the step against the restarted node; the rotation completes.
    await driver.runSteps(secretId, token, (step) => lambda.invoke(step), [
      'setSecret',
      'testSecret',
      'finishSecret',
    ]);
    const current = await secrets.valueAt<{ username: string; password: string }>(secretId, 'AWSCURRENT');
    expect(await server.accepts(current as { username: string; password: string })).toBe(true);
    expect(await server.accepts(user)).toBe(true);
    expect(lambda.output()).not.toContain(user.password);
  });
});
