import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Call, type FaultProxy, startFaultProxy } from '../../../dev/aws/fault-proxy';
import { LocalLambda } from '../../../dev/aws/local-lambda';
import { RotationDriver, type RotationEventShape } from '../../../dev/aws/rotation-driver';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import { startSnsListener } from '../../../dev/aws/sns-listener';
import { canLogin, type PostgresCluster, startPostgres } from '../../../dev/targets/postgres/cluster';
import {
  APP_DATABASE,
  createPostgresFixture,
  type PostgresFixture,
  postgresFunctionEnv,
  type PostgresSecretValue,
} from '../../../dev/targets/postgres/fixture';

/**
 * Lost replies and concurrent steps, against moto (behind a fault-injecting proxy), a real
 * PostgreSQL and the built bundle. The promotion happened, so finishSecret reports success: no
 * failed audit line, no alert, and the labels are what a clean rotation leaves.
 */
const secrets = new SecretsAdmin();
/** The service would retry a failed finishSecret; here it must succeed the first time. */
const driver = new RotationDriver({ attemptsPerStep: 1 });
const promotion = (call: Call) =>
  call.action === 'UpdateSecretVersionStage' && call.input.VersionStage === 'AWSCURRENT';

let cluster: PostgresCluster;
let proxy: FaultProxy;
let alerts: Awaited<ReturnType<typeof startSnsListener>>;
const lambdas: LocalLambda[] = [];

beforeAll(async () => {
  [cluster, proxy, alerts] = await Promise.all([
    startPostgres(),
    startFaultProxy(String(process.env.AWS_ENDPOINT_URL)),
    startSnsListener(`lost-replies-${Date.now()}`),
  ]);
});

afterEach(async () => {
  await Promise.all(lambdas.splice(0).map((lambda) => lambda.stop()));
  proxy.inject();
  proxy.reset();
});

afterAll(async () => {
  await Promise.all([cluster?.stop(), proxy?.stop(), alerts?.stop()]);
});

/** A warm postgres function whose AWS calls go through the fault proxy. */
async function postgresFunction(): Promise<LocalLambda> {
  const lambda = await LocalLambda.start('postgres', {
    env: postgresFunctionEnv({ AWS_ENDPOINT_URL: proxy.endpoint, ALERT_TOPIC_ARN: alerts.topicArn }),
  });
  lambdas.push(lambda);
  return lambda;
}

function auditsOf(lambda: LocalLambda, step: string): Record<string, unknown>[] {
  return lambda
    .jsonLines()
    .map((line) => line.audit as Record<string, unknown> | undefined)
    .filter((audit): audit is Record<string, unknown> => audit?.step === step);
}

async function expectCleanlyRotated(fixture: PostgresFixture, token: string, before: string | undefined) {
  const stages = await secrets.stages(fixture.secretId);
  expect(stages[token]).toEqual(['AWSCURRENT']);
  expect(stages[before ?? '']).toEqual(['AWSPREVIOUS']);
  const current = await secrets.valueAt<PostgresSecretValue>(fixture.secretId, 'AWSCURRENT');
  expect(
    await canLogin(cluster, { username: fixture.username, password: current?.password ?? '' }, APP_DATABASE),
  ).toBe(true);
}

describe('finishSecret whose UpdateSecretVersionStage reply is lost', () => {
  it('re-reads the labels when the SDK retry is refused, and reports the promotion it made', async () => {
    const fixture = await createPostgresFixture(cluster, secrets, { strategy: 'single-user' });
    const before = await secrets.versionAt(fixture.secretId, 'AWSCURRENT');
    const lambda = await postgresFunction();
    proxy.inject({ kind: 'drop-reply', matching: promotion });
    const alertsBefore = alerts.messages.length;

    const token = await driver.rotate(fixture.secretId, (event: RotationEventShape) => lambda.invoke(event));

    // The reply was dropped once, so the SDK sent the promotion again and was refused.
    expect(proxy.injected()['drop-reply']).toBe(1);
    expect(proxy.counts().UpdateSecretVersionStage).toBeGreaterThanOrEqual(2);
    const [finish, ...more] = auditsOf(lambda, 'finishSecret');
    expect(more).toEqual([]);
    expect(finish).toMatchObject({ outcome: 'succeeded' });
    expect(finish?.detail).toContain('already AWSCURRENT');
    expect(alerts.messages.slice(alertsBefore)).toEqual([]);
    await expectCleanlyRotated(fixture, token, before);
  });
});

describe('two finishSecret invocations racing', () => {
  it('both succeed: the one that finds the promotion done re-reads the labels instead of failing', async () => {
    const fixture = await createPostgresFixture(cluster, secrets, { strategy: 'single-user' });
    const before = await secrets.versionAt(fixture.secretId, 'AWSCURRENT');
    const [first, second] = await Promise.all([postgresFunction(), postgresFunction()]);
    const token = await driver.startRotation(fixture.secretId);
    await driver.runSteps(fixture.secretId, token, (event) => first.invoke(event), [
      'createSecret',
      'setSecret',
      'testSecret',
    ]);
    // Both read the labels (DescribeSecret) before either promotes: hold both promotions until
    // both have arrived.
    proxy.inject({ kind: 'gather', matching: promotion, count: 2 });
    const alertsBefore = alerts.messages.length;
    const finish = { SecretId: fixture.secretId, ClientRequestToken: token, Step: 'finishSecret' as const };

    const reports = (await Promise.all([first.invoke(finish), second.invoke(finish)])) as {
      outcome: string;
      detail: string;
    }[];

    expect(proxy.injected().gather).toBe(1);
    expect(reports.map((report) => report.outcome)).toEqual(['succeeded', 'succeeded']);
    expect(reports.map((report) => report.detail).sort()).toEqual([
      'promoted the pending version to AWSCURRENT',
      'the pending version was already AWSCURRENT (a lost reply or a concurrent finishSecret)',
    ]);
    expect([...auditsOf(first, 'finishSecret'), ...auditsOf(second, 'finishSecret')]).toHaveLength(2);
    expect(alerts.messages.slice(alertsBefore)).toEqual([]);
    await driver.clearPendingLabel(fixture.secretId, token);
    await expectCleanlyRotated(fixture, token, before);
  });
});
