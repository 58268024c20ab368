import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CountingProxy, startCountingProxy } from '../../../dev/aws/counting-proxy';
import { LambdaInvokeError, LocalLambda } from '../../../dev/aws/local-lambda';
import { type RotationEventShape, RotationDriver } from '../../../dev/aws/rotation-driver';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import { startSnsListener } from '../../../dev/aws/sns-listener';
import type { Service } from '../../../dev/targets/cache-user-api/directory';
import {
  type CacheUser,
  type CacheUserSecretValue,
  cacheUserSecretValue,
  createCacheUser,
} from '../../../dev/targets/cache-user-api/fixture';
import { type CacheUserApi, startCacheUserApi } from '../../../dev/targets/cache-user-api/server';
import { type RedisServer, startRedis } from '../../../dev/targets/redis/server';

/**
 * ElastiCache and MemoryDB users rotated by the built Redis bundle, against the local user APIs
 * (their real wire protocols, through the real SDK clients) that apply every change to a real
 * redis-server ACL, and moto's Secrets Manager. Every password is checked by AUTH on that server.
 */
const secrets = new SecretsAdmin();
const driver = new RotationDriver({ attemptsPerStep: 1 });
const seenPasswords = new Set<string>();

let server: RedisServer;
let api: CacheUserApi;
let counter: CountingProxy;
let lambda: LocalLambda;
/** The same bundle with a 4 s invocation and short Redis timeouts: a deadline tests can reach. */
let shortLambda: LocalLambda;
let alerts: Awaited<ReturnType<typeof startSnsListener>>;

const invoke = (event: RotationEventShape | Record<string, unknown>) => lambda.invoke(event);

beforeAll(async () => {
  server = await startRedis();
  seenPasswords.add(server.adminCreds.password);
  api = await startCacheUserApi({ servers: [server], modifyingMs: 60 });
  counter = await startCountingProxy(process.env.AWS_ENDPOINT_URL as string);
  alerts = await startSnsListener(`aws-users-alerts-${Date.now()}`);
  const env = { ...api.env(), AWS_ENDPOINT_URL: counter.endpoint, ALERT_TOPIC_ARN: alerts.topicArn };
  lambda = await LocalLambda.start('redis', { env: { ...env, REDIS_USER_POLL_MS: '100' } });
  shortLambda = await LocalLambda.start('redis', {
    env: {
      ...env,
      REDIS_USER_POLL_MS: '100',
      LAMBDA_TIMEOUT_MS: '6000',
      REDIS_CONNECT_TIMEOUT_MS: '500',
      REDIS_COMMAND_TIMEOUT_MS: '500',
    },
  });
});

afterAll(async () => {
  await shortLambda?.stop();
  await lambda?.stop();
  await alerts?.stop();
  await counter?.stop();
  await api?.stop();
  await server?.stop();
});

async function newSecret(
  service: Service,
  options: { endpoint?: boolean; user?: CacheUser; value?: Partial<CacheUserSecretValue> } = {},
): Promise<{ secretId: string; user: CacheUser }> {
  const user = options.user ?? (await createCacheUser(api, service));
  if (user.password) seenPasswords.add(user.password);
  const value = {
    ...cacheUserSecretValue(user, {
      ...(options.endpoint === false ? {} : { server }),
      extra: { dbIndex: 0, owner: 'crm-sync' },
    }),
    ...options.value,
  };
  return { secretId: await secrets.create(secrets.uniqueName('redis', `${service}_user`), value), user };
}

async function valueAt(secretId: string, stage: string): Promise<CacheUserSecretValue> {
  const value = await secrets.valueAt<CacheUserSecretValue>(secretId, stage);
  if (!value) throw new Error(`no ${stage} value`);
  if (value.password) seenPasswords.add(value.password);
  return value;
}

const accepts = (value: { username: string; password?: string }) =>
  server.accepts({ username: value.username, password: value.password ?? '' });

/** The user's change calls so far (ModifyUser or UpdateUser) and its DescribeUsers calls. */
function callsOn(user: CacheUser) {
  const mine = api.directory.calls({ service: user.service, user: user.id });
  const change = user.service === 'elasticache' ? 'ModifyUser' : 'UpdateUser';
  return {
    changes: mine.filter((call) => call.action === change).length,
    describes: mine.filter((call) => call.action === 'DescribeUsers').length,
  };
}

async function failureOf(promise: Promise<unknown>): Promise<LambdaInvokeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LambdaInvokeError);
  return error as LambdaInvokeError;
}

describe.each(['elasticache', 'memorydb'] as const)(
  '%s user rotation through the built bundle',
  (service) => {
    it('sets [pending, current], proves the pending password by AUTH, promotes it; both keep working', async () => {
      const { secretId, user } = await newSecret(service);
      const token = await driver.rotate(secretId, invoke);

      const current = await valueAt(secretId, 'AWSCURRENT');
      const previous = await valueAt(secretId, 'AWSPREVIOUS');
      expect((await secrets.stages(secretId))[token]).toEqual(['AWSCURRENT']);
      expect(previous.password).toBe(user.password);
      expect(current.password).not.toBe(user.password);
      expect(current).toMatchObject({
        user_arn: user.arn,
        username: user.username,
        dbIndex: 0,
        owner: 'crm-sync',
      });
      expect(await accepts(current)).toBe(true);
      expect(await accepts(previous)).toBe(true);
      const stored = api.directory.get(service, user.id);
      expect(stored).toMatchObject({ status: 'active', authType: 'password' });
      expect(stored.passwordHashes).toHaveLength(2);
      expect(callsOn(user).changes).toBe(1);

      const testLine = lambda
        .jsonLines()
        .map((line) => line.audit as Record<string, unknown> | undefined)
        .find((line) => line?.step === 'testSecret' && line.userArn === user.arn);
      expect(testLine).toMatchObject({
        strategy: `${service}-user`,
        user: user.username,
        userStatus: 'active',
        passwordCount: 2,
      });
      expect(String(testLine?.proof)).toContain('AUTH and PING');
    });

    it('after three rotations only the current and previous passwords work: the oldest goes', async () => {
      const { secretId, user } = await newSecret(service);
      const passwords = [user.password as string];
      for (let i = 0; i < 3; i++) {
        await driver.rotate(secretId, invoke);
        passwords.push((await valueAt(secretId, 'AWSCURRENT')).password as string);
      }
      const works = await Promise.all(
        passwords.map((password) => accepts({ username: user.username, password })),
      );
      expect(works).toEqual([false, false, true, true]);
      expect(callsOn(user).changes).toBe(3);
    });

    it('runs every step twice without asking the service twice', async () => {
      const { secretId, user } = await newSecret(service);
      const token = await driver.rotate(secretId, async (event) => {
        await invoke(event);
        await invoke(event);
      });
      const stages = await secrets.stages(secretId);
      expect(stages[token]).toEqual(['AWSCURRENT']);
      expect(Object.values(stages).flat().sort()).toEqual(['AWSCURRENT', 'AWSPREVIOUS']);
      // The second setSecret found the ROTATION_SET_REQUESTED label and made no call at all.
      expect(callsOn(user).changes).toBe(1);
      const current = await valueAt(secretId, 'AWSCURRENT');
      expect(await accepts(current)).toBe(true);
      expect(await accepts({ username: user.username, password: user.password as string })).toBe(true);
    });

    it.each([
      ['setSecret', ['createSecret', 'setSecret'] as const],
      ['testSecret', ['createSecret', 'setSecret', 'testSecret'] as const],
    ])('resumes a rotation that crashed after %s with the change it already requested', async (_, before) => {
      const { secretId, user } = await newSecret(service);
      const token = await driver.startRotation(secretId);
      await driver.runSteps(secretId, token, invoke, before);
      // Mid-rotation the current password keeps working, whatever the user's state.
      expect(await accepts(user as { username: string; password: string })).toBe(true);
      // The service reattempts from the start with the same token.
      await driver.runSteps(secretId, token, invoke);
      expect(await accepts(await valueAt(secretId, 'AWSCURRENT'))).toBe(true);
      expect(callsOn(user).changes).toBe(1);
    });

    it('testSecret gives up before the deadline, retryably, naming the status, when the user stays modifying', async () => {
      const { secretId, user } = await newSecret(service);
      const token = await driver.startRotation(secretId);
      // Held from before the change: it stays modifying however long setSecret takes to return.
      api.directory.hold(service, user.id);
      try {
        await driver.runSteps(secretId, token, invoke, ['createSecret', 'setSecret']);
        const before = callsOn(user).describes;
        const error = await failureOf(
          shortLambda.invoke({ SecretId: secretId, ClientRequestToken: token, Step: 'testSecret' }),
        );
        // Its own error, not middy's TimeoutError: it stopped polling before the deadline.
        expect(error.errorType).toBe('UserNotActiveError');
        expect(error.message).toContain('modifying');
        expect(callsOn(user).describes - before).toBeGreaterThan(1);
        const audit = shortLambda
          .jsonLines()
          .map((line) => line.audit as Record<string, unknown> | undefined)
          .find(
            (line) => line?.step === 'testSecret' && line.outcome === 'failed' && line.userArn === user.arn,
          );
        expect(audit).toMatchObject({ errorClass: 'UserNotActiveError', retryable: true });
        // A 6 s invocation keeping 2.5 s for AUTH+PING and the audit (3.5 s of polling, several
        // polls even on a loaded machine): the step ended well inside it.
        expect(Number(audit?.durationMs)).toBeLessThan(5_000);
      } finally {
        await api.directory.release(service, user.id);
      }
      // Secrets Manager's retry finds the user active and the rotation completes.
      await driver.runSteps(secretId, token, invoke, ['testSecret', 'finishSecret']);
      expect(await accepts(await valueAt(secretId, 'AWSCURRENT'))).toBe(true);
    });

    it('setSecret refuses retryably while someone else has the user modifying, and asks nothing', async () => {
      const { secretId, user } = await newSecret(service);
      const token = await driver.startRotation(secretId);
      await driver.runSteps(secretId, token, invoke, ['createSecret']);
      // A change of the operator's own, still in flight.
      api.directory.hold(service, user.id);
      api.directory.modify(service, user.id, {
        accessString: `${api.directory.get(service, user.id).accessString} +info`,
      });
      try {
        const error = await failureOf(
          invoke({ SecretId: secretId, ClientRequestToken: token, Step: 'setSecret' }),
        );
        expect(error.errorType).toBe('UserNotActiveError');
        expect(error.message).toContain('is modifying, not active');
        expect(callsOn(user).changes).toBe(0);
      } finally {
        await api.directory.release(service, user.id);
      }
      await driver.runSteps(secretId, token, invoke, ['setSecret', 'testSecret', 'finishSecret']);
      expect(await accepts(await valueAt(secretId, 'AWSCURRENT'))).toBe(true);
    });

    it('without an endpoint in the secret, testSecret proves the user active and says so', async () => {
      const { secretId, user } = await newSecret(service, { endpoint: false });
      await driver.rotate(secretId, invoke);
      const current = await valueAt(secretId, 'AWSCURRENT');
      expect(current.host).toBeUndefined();
      expect(await accepts(current)).toBe(true);
      const testLine = lambda
        .jsonLines()
        .map((line) => line.audit as Record<string, unknown> | undefined)
        .find((line) => line?.step === 'testSecret' && line.userArn === user.arn);
      expect(String(testLine?.proof)).toContain('names no endpoint');
    });

    it('revokePrevious leaves only the current password', async () => {
      const { secretId, user } = await newSecret(service);
      await driver.rotate(secretId, invoke);
      const current = await valueAt(secretId, 'AWSCURRENT');
      expect(await accepts({ username: user.username, password: user.password as string })).toBe(true);
      await invoke({ Action: 'revokePrevious', SecretId: secretId, Reason: 'leaked in a CI log' });
      expect(await accepts({ username: user.username, password: user.password as string })).toBe(false);
      expect(await accepts(current)).toBe(true);
      expect(api.directory.get(service, user.id).passwordHashes).toHaveLength(1);
    });

    it('refuses an IAM-auth user after one DescribeUsers, without changing it', async () => {
      const user = await createCacheUser(api, service, { authType: 'iam', password: null });
      const { secretId } = await newSecret(service, {
        user,
        value: { password: 'unused-password-0123456789' },
      });
      seenPasswords.add('unused-password-0123456789');
      const token = await driver.startRotation(secretId);
      await driver.runSteps(secretId, token, invoke, ['createSecret']);
      const error = await failureOf(
        invoke({ SecretId: secretId, ClientRequestToken: token, Step: 'setSecret' }),
      );
      expect(error.errorType).toBe('UserNotRotatableError');
      expect(error.message).toContain('authenticates with iam');
      expect(callsOn(user)).toEqual({ changes: 0, describes: 1 });
    });
  },
);

describe('refusals before any call to ElastiCache or MemoryDB', () => {
  const other = (arn: string, from: string, to: string) => arn.replace(from, to);

  it.each([
    [
      'another account',
      'elasticache',
      (arn: string) => other(arn, ':123456789012:', ':210987654321:'),
      'account 210987654321',
    ],
    [
      'another region',
      'elasticache',
      (arn: string) => other(arn, ':us-east-1:', ':eu-west-1:'),
      'region eu-west-1',
    ],
    [
      'another account',
      'memorydb',
      (arn: string) => other(arn, ':123456789012:', ':210987654321:'),
      'account 210987654321',
    ],
    [
      'another region',
      'memorydb',
      (arn: string) => other(arn, ':us-east-1:', ':ap-south-1:'),
      'region ap-south-1',
    ],
  ] as const)('refuses a user in %s (%s)', async (_, service, rewrite, named) => {
    const user = await createCacheUser(api, service);
    const { secretId } = await newSecret(service, { user, value: { user_arn: rewrite(user.arn) } });
    const token = await driver.startRotation(secretId);
    await driver.runSteps(secretId, token, invoke, ['createSecret']);
    api.directory.resetCalls();
    const error = await failureOf(
      invoke({ SecretId: secretId, ClientRequestToken: token, Step: 'setSecret' }),
    );
    expect(error.errorType).toBe('UserNotRotatableError');
    expect(error.message).toContain(named);
    expect(api.directory.calls()).toEqual([]);
  });

  it.each([
    ['the default user by name', { username: 'default' }],
    ['the default user by id', { user_arn: 'arn:aws:elasticache:us-east-1:123456789012:user:default' }],
    [
      'a MemoryDB ARN naming another user',
      { user_arn: 'arn:aws:memorydb:us-east-1:123456789012:user/someone-else' },
    ],
  ])('refuses %s already in createSecret', async (_, value) => {
    const user = await createCacheUser(api, 'elasticache');
    const { secretId } = await newSecret('elasticache', { user, value });
    api.directory.resetCalls();
    const error = await failureOf(
      driver.rotate(secretId, invoke).catch((e: { lastError?: unknown }) => {
        throw e.lastError;
      }),
    );
    expect(error.errorType).toBe('UserNotRotatableError');
    expect(api.directory.calls()).toEqual([]);
    expect((await valueAt(secretId, 'AWSCURRENT')).password).toBe(user.password);
  });

  it.each([
    'arn:aws:elasticache:us-east-1:123456789012:cluster:my-cluster',
    'arn:aws:elasticache:us-east-1:123456789012:user/app',
    'arn:aws:memorydb:us-east-1:123456789012:user:app',
    'arn:aws:elasticache:us-east-1:12345:user:app',
    'not an arn',
  ])('refuses the unparsable user_arn %j as a secret format error', async (userArn) => {
    const { secretId } = await newSecret('elasticache', { value: { user_arn: userArn } });
    api.directory.resetCalls();
    const error = await failureOf(
      driver.rotate(secretId, invoke).catch((e: { lastError?: unknown }) => {
        throw e.lastError;
      }),
    );
    expect(error.errorType).toBe('SecretFormatError');
    expect(error.message).toContain('`user_arn` must be an ElastiCache user ARN');
    expect(api.directory.calls()).toEqual([]);
  });

  it('refuses an ElastiCache user whose name is not the secret username, after DescribeUsers only', async () => {
    const user = await createCacheUser(api, 'elasticache');
    const { secretId } = await newSecret('elasticache', { user, value: { username: 'somebody-else' } });
    const token = await driver.startRotation(secretId);
    await driver.runSteps(secretId, token, invoke, ['createSecret']);
    const error = await failureOf(
      invoke({ SecretId: secretId, ClientRequestToken: token, Step: 'setSecret' }),
    );
    expect(error.errorType).toBe('UserNotRotatableError');
    expect(error.message).toContain(`is named ${user.username}`);
    expect(callsOn(user)).toEqual({ changes: 0, describes: 1 });
  });
});

describe('AWS guide onboarding', () => {
  it('gives a no-password user created with a password-less secret its first password', async () => {
    const user = await createCacheUser(api, 'elasticache', { password: null });
    const { secretId } = await newSecret('elasticache', { user });
    expect((await valueAt(secretId, 'AWSCURRENT')).password).toBeUndefined();
    await driver.rotate(secretId, invoke);
    const current = await valueAt(secretId, 'AWSCURRENT');
    expect(await accepts(current)).toBe(true);
    expect(await accepts({ username: user.username, password: 'anything-at-all-12345' })).toBe(false);
    expect(api.directory.get('elasticache', user.id)).toMatchObject({ authType: 'password' });
    expect(api.directory.get('elasticache', user.id).passwordHashes).toHaveLength(1);
  });
});

describe('calls per rotation', () => {
  it('makes one ModifyUser and a few DescribeUsers per rotation, beside the Secrets Manager calls', async () => {
    const { secretId, user } = await newSecret('elasticache');
    await driver.rotate(secretId, invoke);
    counter.reset();
    api.directory.resetCalls();
    const started = performance.now();
    await driver.rotate(secretId, invoke);
    const wallMs = performance.now() - started;
    const service = api.directory.calls({ user: user.id });
    console.log(
      `elasticache user rotation: ${Math.round(wallMs)} ms, Secrets Manager ${JSON.stringify(counter.counts())}, ElastiCache ${JSON.stringify(
        Object.groupBy(service, (call) => call.action),
        (key, value) => (Array.isArray(value) && key !== '' ? value.length : value),
      )}`,
    );
    expect(service.filter((call) => call.action === 'ModifyUser')).toHaveLength(1);
    // setSecret: one; testSecret: until active (60 ms here; polls 100 ms apart, then 200, 400...).
    const describes = service.filter((call) => call.action === 'DescribeUsers').length;
    expect(describes).toBeGreaterThanOrEqual(2);
    expect(describes).toBeLessThanOrEqual(6);
    // The self-managed path's calls, plus ROTATION_SET_REQUESTED put on (setSecret) and taken off
    // (finishSecret); no admin secret to read.
    expect(counter.counts()).toEqual({
      DescribeSecret: 4,
      GetSecretValue: 1,
      PutSecretValue: 1,
      UpdateSecretVersionStage: 3,
    });
  });
});

describe('no leaks', () => {
  it('never prints a password in the function output or an alert (checked last)', async () => {
    await alerts.waitFor(1, 2_000);
    const output = lambda.output() + shortLambda.output();
    const sent = JSON.stringify(alerts.messages);
    expect(alerts.messages.length).toBeGreaterThan(0);
    expect(lambda.jsonLines().filter((line) => line.audit !== undefined).length).toBeGreaterThan(40);
    expect(seenPasswords.size).toBeGreaterThan(20);
    for (const password of seenPasswords) {
      expect(output).not.toContain(password);
      expect(sent).not.toContain(password);
    }
  });
});
