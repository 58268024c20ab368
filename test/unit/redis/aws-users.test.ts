import {
  DescribeUsersCommand,
  ElastiCacheClient,
  InvalidParameterValueException,
  InvalidUserStateFault,
  ModifyUserCommand,
  UserNotFoundFault,
} from '@aws-sdk/client-elasticache';
import {
  DescribeUsersCommand as DescribeMemoryDbUsersCommand,
  MemoryDBClient,
  UpdateUserCommand,
} from '@aws-sdk/client-memorydb';
import { SecretsManagerClient, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { redisRotator } from '../../../functions/redis/rotator';
import { parseAnyRedisSecret, parseUserArn } from '../../../functions/redis/secret';
import type { LambdaInvocation } from '../../../shared/observability/lambda-handler';
import { forgetSecrets } from '../../../shared/observability/redaction';
import { runRotationInvocation, runRotationStep } from '../../../shared/rotation/invocation';
import { clearVersionCache } from '../../../shared/secrets/version-cache';
import { captureOutput } from '../../support/capture';
import {
  CURRENT_ID,
  type FakeSecretState,
  mockSecret,
  PREVIOUS_ID,
  SECRET_ARN,
  TOKEN,
} from '../../support/mock-secrets';

/**
 * The ElastiCache/MemoryDB user strategy against mocked SDK clients: the service's faults and
 * states one by one, the idempotence fact, the deadline. The integration tests run the same
 * strategy against the local user APIs and a real redis-server.
 */
const sm = mockClient(SecretsManagerClient);
const sns = mockClient(SNSClient);
const elasticache = mockClient(ElastiCacheClient);
const memorydb = mockClient(MemoryDBClient);

const EC_ARN = 'arn:aws:elasticache:us-east-1:123456789012:user:app-user-1';
const MDB_ARN = 'arn:aws:memorydb:us-east-1:123456789012:user/app';
const CURRENT_PASSWORD = 'current-password-Aa1!current';
const PENDING_PASSWORD = 'pending-password-Bb2!pending';

let state: FakeSecretState;
let output: ReturnType<typeof captureOutput>;

const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:sergas-dev-redis-rotation';

function lambdaContext(remainingMs = 60_000): LambdaInvocation {
  const deadline = Date.now() + remainingMs;
  return {
    invokedFunctionArn: FUNCTION_ARN,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

const event = (Step: string) => ({ SecretId: SECRET_ARN, ClientRequestToken: TOKEN, Step });

function secrets(userArn: string, username: string, extra: Record<string, unknown> = {}) {
  const current = { user_arn: userArn, username, password: CURRENT_PASSWORD, ...extra };
  state = {
    rotationLambdaArn: FUNCTION_ARN,
    versions: { [CURRENT_ID]: ['AWSCURRENT'], [PREVIOUS_ID]: ['AWSPREVIOUS'], [TOKEN]: ['AWSPENDING'] },
    values: {
      [CURRENT_ID]: JSON.stringify(current),
      [PREVIOUS_ID]: JSON.stringify({ ...current, password: 'previous-password-Cc3!previous' }),
      [TOKEN]: JSON.stringify({ ...current, password: PENDING_PASSWORD }),
    },
  };
  mockSecret(sm, state);
}

const ecUser = (Status: string, extra: Record<string, unknown> = {}) => ({
  UserId: 'app-user-1',
  UserName: 'app',
  Status,
  Authentication: { Type: 'password' as const, PasswordCount: 2 },
  ARN: EC_ARN,
  ...extra,
});

beforeEach(() => {
  for (const mock of [sm, sns, elasticache, memorydb]) mock.reset();
  clearVersionCache();
  forgetSecrets();
  sm.on(UpdateSecretVersionStageCommand).resolves({});
  secrets(EC_ARN, 'app');
  output = captureOutput();
});

afterEach(() => {
  output.restore();
});

describe('user_arn', () => {
  it.each([
    [EC_ARN, { service: 'elasticache', region: 'us-east-1', account: '123456789012', userId: 'app-user-1' }],
    [MDB_ARN, { service: 'memorydb', region: 'us-east-1', account: '123456789012', userId: 'app' }],
    ['arn:aws-cn:elasticache:cn-north-1:123456789012:user:u1', { partition: 'aws-cn', region: 'cn-north-1' }],
  ])('parses %s', (arn, expected) => {
    expect(parseUserArn(arn)).toMatchObject(expected);
  });

  it.each([
    'arn:aws:elasticache:us-east-1:123456789012:usergroup:g1',
    'arn:aws:elasticache:us-east-1:123456789012:user/app',
    'arn:aws:memorydb:us-east-1:123456789012:user:app',
    'arn:aws:elasticache:us-east-1:123456789012:user:1starts-with-digit',
    'arn:aws:elasticache:us-east-1:123456789012:user:app:extra',
    'arn:aws:s3:::bucket',
  ])('refuses %s', (arn) => {
    expect(parseUserArn(arn)).toBeUndefined();
    expect(() => parseAnyRedisSecret({ user_arn: arn, username: 'app', password: 'x' })).toThrow(
      /`user_arn` must be an ElastiCache user ARN/,
    );
  });

  it('selects the format: user_arn needs no host, and unknown keys survive', () => {
    expect(parseAnyRedisSecret({ user_arn: EC_ARN, username: 'app', note: 'kept' })).toEqual({
      user_arn: EC_ARN,
      username: 'app',
      note: 'kept',
    });
    expect(() => parseAnyRedisSecret({ username: 'app', password: 'x' })).toThrow('`host` is required');
  });
});

describe('setSecret', () => {
  it('asks ElastiCache for [pending, current] once the user is active, then labels the version', async () => {
    elasticache.on(DescribeUsersCommand).resolves({ Users: [ecUser('active')] });
    elasticache.on(ModifyUserCommand).resolves(ecUser('modifying'));
    await runRotationStep(redisRotator, event('setSecret'), lambdaContext());
    expect(elasticache.commandCalls(DescribeUsersCommand)[0]?.args[0].input).toEqual({
      UserId: 'app-user-1',
    });
    expect(elasticache.commandCalls(ModifyUserCommand)[0]?.args[0].input).toEqual({
      UserId: 'app-user-1',
      Passwords: [PENDING_PASSWORD, CURRENT_PASSWORD],
    });
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)[0]?.args[0].input).toEqual({
      SecretId: SECRET_ARN,
      VersionStage: 'ROTATION_SET_REQUESTED',
      MoveToVersionId: TOKEN,
    });
  });

  it('moves the label off the version that held it from the last rotation', async () => {
    state.versions[CURRENT_ID] = ['AWSCURRENT', 'ROTATION_SET_REQUESTED'];
    elasticache.on(DescribeUsersCommand).resolves({ Users: [ecUser('active')] });
    elasticache.on(ModifyUserCommand).resolves(ecUser('modifying'));
    await runRotationStep(redisRotator, event('setSecret'), lambdaContext());
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)[0]?.args[0].input).toMatchObject({
      MoveToVersionId: TOKEN,
      RemoveFromVersionId: CURRENT_ID,
    });
  });

  it('asks nothing when its version already carries the label (a rerun)', async () => {
    state.versions[TOKEN] = ['AWSPENDING', 'ROTATION_SET_REQUESTED'];
    const report = await runRotationStep(redisRotator, event('setSecret'), lambdaContext());
    expect(report.outcome).toBe('succeeded');
    expect(elasticache.calls()).toHaveLength(0);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
  });

  it('fails retryably, naming the status, while the user is modifying, and asks nothing', async () => {
    elasticache.on(DescribeUsersCommand).resolves({ Users: [ecUser('modifying')] });
    await expect(runRotationStep(redisRotator, event('setSecret'), lambdaContext())).rejects.toMatchObject({
      name: 'UserNotActiveError',
      retryable: true,
      message: expect.stringContaining('is modifying, not active'),
    });
    expect(elasticache.commandCalls(ModifyUserCommand)).toHaveLength(0);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
  });

  it('turns a ModifyUser InvalidUserState (a change that raced ours) into a retryable error, unlabelled', async () => {
    elasticache.on(DescribeUsersCommand).resolves({ Users: [ecUser('active')] });
    elasticache
      .on(ModifyUserCommand)
      .rejects(new InvalidUserStateFault({ message: 'User is not in active state.', $metadata: {} }));
    await expect(runRotationStep(redisRotator, event('setSecret'), lambdaContext())).rejects.toMatchObject({
      name: 'UserNotActiveError',
      retryable: true,
    });
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
  });

  it('names a missing user and what to fix', async () => {
    elasticache
      .on(DescribeUsersCommand)
      .rejects(
        new UserNotFoundFault({ message: 'User app-user-1 not found.', $metadata: { httpStatusCode: 404 } }),
      );
    await expect(runRotationStep(redisRotator, event('setSecret'), lambdaContext())).rejects.toMatchObject({
      name: 'TargetError',
      retryable: false,
      message: expect.stringContaining('ElastiCache user app-user-1'),
      action: expect.stringContaining('user_arn'),
    });
  });

  it('never lets a password through, even when the service quotes it back', async () => {
    elasticache.on(DescribeUsersCommand).resolves({ Users: [ecUser('active')] });
    elasticache.on(ModifyUserCommand).rejects(
      new InvalidParameterValueException({
        message: `Invalid password ${PENDING_PASSWORD}`,
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const error: Error = await runRotationStep(redisRotator, event('setSecret'), lambdaContext()).then(
      () => new Error('resolved'),
      (e: Error) => e,
    );
    expect(error).toMatchObject({ name: 'TargetError', retryable: false });
    expect(error.message).toContain('InvalidParameterValueException');
    for (const text of [error.message, error.stack ?? '', output.text()]) {
      expect(text).not.toContain(PENDING_PASSWORD);
      expect(text).not.toContain(CURRENT_PASSWORD);
    }
  });

  it.each([
    ['AccessDeniedException', 403, 'PermissionDeniedError', /elasticache:ModifyUser/],
    ['ThrottlingException', 400, 'RateLimitedError', /throttled/],
    ['InternalFailure', 500, 'TargetError', /HTTP 500/],
  ])('classifies a ModifyUser %s', async (name, httpStatusCode, errorClass, message) => {
    elasticache.on(DescribeUsersCommand).resolves({ Users: [ecUser('active')] });
    elasticache
      .on(ModifyUserCommand)
      .rejects(Object.assign(new Error('no'), { name, $metadata: { httpStatusCode } }));
    await expect(runRotationStep(redisRotator, event('setSecret'), lambdaContext())).rejects.toMatchObject({
      name: errorClass,
      message,
    });
  });

  it('sets only the pending password for a secret that has none yet (a no-password user)', async () => {
    state.values[CURRENT_ID] = JSON.stringify({ user_arn: EC_ARN, username: 'app' });
    elasticache
      .on(DescribeUsersCommand)
      .resolves({ Users: [ecUser('active', { Authentication: { Type: 'no-password' } })] });
    elasticache.on(ModifyUserCommand).resolves(ecUser('modifying'));
    await runRotationStep(redisRotator, event('setSecret'), lambdaContext());
    expect(elasticache.commandCalls(ModifyUserCommand)[0]?.args[0].input.Passwords).toEqual([
      PENDING_PASSWORD,
    ]);
  });

  it.each([
    ['iam', 'a secret with a password', {}],
    ['no-password', 'a secret that holds a password', {}],
  ])('refuses a user authenticating with %s (%s)', async (type) => {
    elasticache
      .on(DescribeUsersCommand)
      .resolves({ Users: [ecUser('active', { Authentication: { Type: type } })] });
    await expect(runRotationStep(redisRotator, event('setSecret'), lambdaContext())).rejects.toMatchObject({
      name: 'UserNotRotatableError',
      message: expect.stringContaining(`authenticates with ${type}`),
    });
    expect(elasticache.commandCalls(ModifyUserCommand)).toHaveLength(0);
  });

  it('sends MemoryDB an AuthenticationMode of type password', async () => {
    secrets(MDB_ARN, 'app');
    memorydb.on(DescribeMemoryDbUsersCommand).resolves({
      Users: [
        {
          Name: 'app',
          Status: 'active',
          Authentication: { Type: 'password', PasswordCount: 1 },
          ARN: MDB_ARN,
        },
      ],
    });
    memorydb.on(UpdateUserCommand).resolves({ User: { Name: 'app', Status: 'modifying' } });
    await runRotationStep(redisRotator, event('setSecret'), lambdaContext());
    expect(memorydb.commandCalls(DescribeMemoryDbUsersCommand)[0]?.args[0].input).toEqual({
      UserName: 'app',
    });
    expect(memorydb.commandCalls(UpdateUserCommand)[0]?.args[0].input).toEqual({
      UserName: 'app',
      AuthenticationMode: { Type: 'password', Passwords: [PENDING_PASSWORD, CURRENT_PASSWORD] },
    });
    expect(elasticache.calls()).toHaveLength(0);
  });

  it.each([
    ['another account', EC_ARN.replace('123456789012', '999999999999'), 'app', /account 999999999999/],
    ['another region', EC_ARN.replace('us-east-1', 'us-west-2'), 'app', /region us-west-2/],
    [
      'another partition',
      EC_ARN.replace('arn:aws:', 'arn:aws-cn:').replace('us-east-1', 'cn-north-1'),
      'app',
      /aws-cn/,
    ],
    ['the default user', EC_ARN, 'default', /default user/],
    ['a MemoryDB name that is not the username', MDB_ARN, 'other', /named app/],
  ])('refuses a user in %s before any call', async (_, arn, username, message) => {
    secrets(arn, username);
    await expect(runRotationStep(redisRotator, event('setSecret'), lambdaContext())).rejects.toMatchObject({
      name: 'UserNotRotatableError',
      message,
    });
    expect(elasticache.calls()).toHaveLength(0);
    expect(memorydb.calls()).toHaveLength(0);
  });

  it('refuses without a Lambda context: the account cannot be known', async () => {
    await expect(runRotationStep(redisRotator, event('setSecret'))).rejects.toMatchObject({
      name: 'ConfigurationError',
      message: expect.stringContaining('cannot tell which account'),
    });
    expect(elasticache.calls()).toHaveLength(0);
  });

  it('refuses a pending version that names another user than AWSCURRENT', async () => {
    state.values[TOKEN] = JSON.stringify({
      user_arn: EC_ARN.replace('app-user-1', 'admin-user'),
      username: 'app',
      password: PENDING_PASSWORD,
    });
    await expect(runRotationStep(redisRotator, event('setSecret'), lambdaContext())).rejects.toMatchObject({
      name: 'UserNotRotatableError',
      message: expect.stringContaining('AWSCURRENT'),
    });
    expect(elasticache.calls()).toHaveLength(0);
  });

  it('refuses to mix a self-managed AWSCURRENT with a user_arn pending version', async () => {
    state.values[CURRENT_ID] = JSON.stringify({ host: 'cache', username: 'app', password: CURRENT_PASSWORD });
    await expect(runRotationStep(redisRotator, event('setSecret'), lambdaContext())).rejects.toThrow(
      /refusing to mix the two/,
    );
    expect(elasticache.calls()).toHaveLength(0);
  });
});

describe('testSecret', () => {
  it('polls DescribeUsers with backoff until the user is active', async () => {
    elasticache
      .on(DescribeUsersCommand)
      .resolvesOnce({ Users: [ecUser('modifying')] })
      .resolvesOnce({ Users: [ecUser('modifying')] })
      .resolves({ Users: [ecUser('active')] });
    process.env.REDIS_USER_POLL_MS = '100';
    try {
      const started = performance.now();
      await runRotationStep(redisRotator, event('testSecret'), lambdaContext());
      // 100 ms, then 200 ms.
      expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    } finally {
      delete process.env.REDIS_USER_POLL_MS;
    }
    expect(elasticache.commandCalls(DescribeUsersCommand)).toHaveLength(3);
    const audit = output.json().find((line) => line.audit)?.audit;
    expect(audit).toMatchObject({ polls: 3, userStatus: 'active', passwordCount: 2 });
  });

  it('stops before the deadline, retryably, with the status it saw', async () => {
    elasticache.on(DescribeUsersCommand).resolves({ Users: [ecUser('modifying')] });
    process.env.REDIS_USER_POLL_MS = '100';
    try {
      const started = performance.now();
      // 3 s left, 2.5 s kept (the core's 2 s deadline margin and the audit): half a second to poll in.
      await expect(
        runRotationStep(redisRotator, event('testSecret'), lambdaContext(3_000)),
      ).rejects.toMatchObject({
        name: 'UserNotActiveError',
        retryable: true,
        message: expect.stringMatching(
          /still modifying, not active, after \d+ ms and \d+ DescribeUsers call/,
        ),
      });
      expect(performance.now() - started).toBeLessThan(1_200);
    } finally {
      delete process.env.REDIS_USER_POLL_MS;
    }
    expect(elasticache.commandCalls(DescribeUsersCommand).length).toBeGreaterThanOrEqual(2);
  });

  it('does not sleep at all when the invocation has no time left, and still names the status', async () => {
    elasticache.on(DescribeUsersCommand).resolves({ Users: [ecUser('modifying')] });
    const started = performance.now();
    await expect(
      runRotationStep(redisRotator, event('testSecret'), lambdaContext(500)),
    ).rejects.toMatchObject({
      name: 'UserNotActiveError',
      message: expect.stringContaining('still modifying'),
    });
    expect(performance.now() - started).toBeLessThan(400);
    expect(elasticache.commandCalls(DescribeUsersCommand)).toHaveLength(1);
  });
});

describe('finishSecret and revokePrevious', () => {
  it('finishSecret changes nothing on the user and takes its label off the version before promoting it', async () => {
    state.versions[TOKEN] = ['AWSPENDING', 'ROTATION_SET_REQUESTED'];
    state.values[TOKEN] = JSON.stringify({ user_arn: EC_ARN, username: 'app', password: PENDING_PASSWORD });
    await runRotationStep(redisRotator, event('finishSecret'), lambdaContext());
    expect(elasticache.calls()).toHaveLength(0);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand).map((call) => call.args[0].input)).toEqual([
      { SecretId: SECRET_ARN, VersionStage: 'ROTATION_SET_REQUESTED', RemoveFromVersionId: TOKEN },
      {
        SecretId: SECRET_ARN,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: TOKEN,
        RemoveFromVersionId: CURRENT_ID,
      },
    ]);
  });

  it('revokePrevious sets only the current password and waits for it to land', async () => {
    state.versions = { [CURRENT_ID]: ['AWSCURRENT'], [PREVIOUS_ID]: ['AWSPREVIOUS'] };
    elasticache
      .on(DescribeUsersCommand)
      .resolvesOnce({ Users: [ecUser('active')] })
      .resolves({ Users: [ecUser('active', { Authentication: { Type: 'password', PasswordCount: 1 } })] });
    elasticache.on(ModifyUserCommand).resolves(ecUser('modifying'));
    await runRotationInvocation(
      redisRotator,
      { Action: 'revokePrevious', SecretId: SECRET_ARN, Reason: 'leaked' },
      lambdaContext(),
    );
    expect(elasticache.commandCalls(ModifyUserCommand)[0]?.args[0].input).toEqual({
      UserId: 'app-user-1',
      Passwords: [CURRENT_PASSWORD],
    });
    expect(elasticache.commandCalls(DescribeUsersCommand)).toHaveLength(2);
  });
});

describe('createSecret', () => {
  it('generates a password the services accept: 16 to 128 characters, none of @ " /', async () => {
    const current = parseAnyRedisSecret({ user_arn: EC_ARN, username: 'app', password: CURRENT_PASSWORD });
    const ctx = { annotate: () => undefined } as unknown as Parameters<typeof redisRotator.create>[1];
    process.env.EXCLUDE_CHARACTERS = '';
    try {
      for (let i = 0; i < 50; i++) {
        const pending = await redisRotator.create(current, ctx);
        expect(pending.password).toMatch(/^[^@"/\s]{32}$/);
      }
      process.env.PASSWORD_LENGTH = '12';
      await expect(redisRotator.create(current, ctx)).rejects.toMatchObject({ name: 'PasswordPolicyError' });
    } finally {
      delete process.env.EXCLUDE_CHARACTERS;
      delete process.env.PASSWORD_LENGTH;
    }
  });
});
