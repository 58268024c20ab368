import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LambdaInvokeError, LocalLambda } from '../../../dev/aws/local-lambda';
import { type RedisServer, sha256Hex, startRedis, testPassword } from '../../../dev/targets/redis/server';
import {
  APP_USER_RULES,
  createAdminSecret,
  createRedisUser,
  type RedisSecretValue,
  redisSecretValue,
  SELF_MANAGED_USER_RULES,
} from '../../../dev/targets/redis/fixture';
import { RotationDriver, RotationFailedError } from '../../../dev/aws/rotation-driver';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';

/**
 * Bad inputs and unusual servers: every failure names what is wrong for an operator, changes
 * nothing on the server, never promotes, and never prints a value.
 */
const secrets = new SecretsAdmin();
const driver = new RotationDriver();
const once = new RotationDriver({ attemptsPerStep: 1 });
const seenPasswords = new Set<string>();

let server: RedisServer;
/** Users defined in the config (no ACL file): changes live in memory until restart. */
let memoryServer: RedisServer;
let lambda: LocalLambda;
let adminSecretId: string;

beforeAll(async () => {
  [server, memoryServer] = await Promise.all([startRedis(), startRedis({ aclFile: false })]);
  lambda = await LocalLambda.start('redis');
  adminSecretId = await createAdminSecret(secrets, server);
  seenPasswords.add(server.adminCreds.password).add(memoryServer.adminCreds.password);
});

afterAll(async () => {
  await lambda?.stop();
  await Promise.all([server?.stop(), memoryServer?.stop()]);
});

const invoke = (event: unknown) => lambda.invoke(event);

async function createSecret(value: Record<string, unknown>): Promise<string> {
  if (typeof value.password === 'string') seenPasswords.add(value.password);
  return secrets.create(secrets.uniqueName('redis', 'password'), value);
}

async function userSecret(
  options: {
    rules?: string;
    on?: RedisServer;
    adminarn?: string | false;
    extra?: Record<string, unknown>;
  } = {},
) {
  const target = options.on ?? server;
  const user = await createRedisUser([target], { rules: options.rules ?? APP_USER_RULES });
  seenPasswords.add(user.password);
  const adminarn = options.adminarn === false ? undefined : (options.adminarn ?? adminSecretId);
  const secretId = await createSecret({
    ...redisSecretValue(target, user, adminarn ? { adminarn } : {}),
    ...options.extra,
  });
  return { secretId, user };
}

/** Run a rotation expected to fail; returns the failed step and the function's error. */
async function failedRotation(secretId: string): Promise<{ step: string; error: LambdaInvokeError }> {
  const token = await once.startRotation(secretId);
  const failure = await once.runSteps(secretId, token, invoke).catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(RotationFailedError);
  const { step, lastError } = failure as RotationFailedError;
  expect(lastError).toBeInstanceOf(LambdaInvokeError);
  // Whatever failed, AWSCURRENT did not move.
  const stages = await secrets.stages(secretId);
  expect(stages[token]).toEqual(['AWSPENDING']);
  return { step, error: lastError as LambdaInvokeError };
}

describe('bad secrets', () => {
  it('refuses a secret with missing keys, naming each, before touching anything', async () => {
    const secretId = await createSecret({ host: server.host, port: server.port, tls: false });
    const { step, error } = await failedRotation(secretId);
    expect(step).toBe('createSecret');
    expect(error.errorType).toBe('SecretFormatError');
    expect(error.message).toContain('`username` is required');
    expect(error.message).toContain('`password` is required');
  });

  it('refuses a `nodes` entry that is not host:port', async () => {
    const { secretId } = await userSecret({ extra: { nodes: ['replica-1'] } });
    const { error } = await failedRotation(secretId);
    expect(error.errorType).toBe('SecretFormatError');
    expect(error.message).toContain('`nodes.0` must be "host:port"');
  });

  it('reports a user that does not exist on the node', async () => {
    const secretId = await createSecret({
      ...redisSecretValue(server, { username: 'nobody', password: testPassword('nobody') }),
      adminarn: adminSecretId,
    });
    const { step, error } = await failedRotation(secretId);
    expect(step).toBe('setSecret');
    expect(error.errorType).toBe('TargetError');
    expect(error.message).toContain(`Redis node ${server.address} has no ACL user nobody`);
  });
});

describe('bad admin credentials', () => {
  it('needs no more than ACL GETUSER, SETUSER and SAVE from the admin user', async () => {
    const rotatorAdmin = { username: 'rotator', password: testPassword('rotator') };
    seenPasswords.add(rotatorAdmin.password);
    await server.createUser({
      ...rotatorAdmin,
      rules: 'resetchannels -@all +acl|getuser +acl|setuser +acl|save',
    });
    const minimal = await secrets.create(secrets.uniqueName('redis', 'admin'), {
      host: server.host,
      port: server.port,
      ...rotatorAdmin,
    });
    const { secretId, user } = await userSecret({ adminarn: minimal });
    await driver.rotate(secretId, invoke);
    const current = (await secrets.valueAt<RedisSecretValue>(secretId, 'AWSCURRENT')) as RedisSecretValue;
    seenPasswords.add(current.password);
    expect(await server.passwordHashes(user.username)).toEqual(
      [sha256Hex(current.password), sha256Hex(user.password)].sort(),
    );
    expect(readFileSync(server.aclFilePath as string, 'utf8')).toContain(`#${sha256Hex(current.password)}`);
  });

  it('reports a wrong admin password as CredentialRejectedError naming the admin secret', async () => {
    const wrongAdmin = await secrets.create(secrets.uniqueName('redis', 'admin'), {
      host: server.host,
      port: server.port,
      username: 'admin',
      password: testPassword('wrong-admin'),
    });
    const { secretId, user } = await userSecret({ adminarn: wrongAdmin });
    const { step, error } = await failedRotation(secretId);
    expect(step).toBe('setSecret');
    expect(error.errorType).toBe('CredentialRejectedError');
    expect(error.message).toBe(
      `Redis node ${server.address} rejected admin user admin (from adminarn ${wrongAdmin}) while connecting and authenticating (WRONGPASS)`,
    );
    expect(await server.passwordHashes(user.username)).toEqual([sha256Hex(user.password)]);
  });

  it('reports an adminarn that names no secret', async () => {
    const missing = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:sergas/redis/dev/no-such-admin';
    const { secretId } = await userSecret({ adminarn: missing });
    const { error } = await failedRotation(secretId);
    expect(error.errorType).toBe('SecretVersionMissingError');
    expect(error.message).toContain(missing);
  });

  it('reports an admin secret without a password', async () => {
    const broken = await secrets.create(secrets.uniqueName('redis', 'admin'), { username: 'admin' });
    const { secretId } = await userSecret({ adminarn: broken });
    const { error } = await failedRotation(secretId);
    expect(error.errorType).toBe('SecretFormatError');
    expect(error.message).toBe(
      `the Redis admin secret ${broken} is not a valid Redis admin secret: \`password\` is required`,
    );
  });
});

describe('users acting for themselves (no adminarn)', () => {
  it('tells an operator to set adminarn when the user may not change ACLs', async () => {
    const { secretId, user } = await userSecret({ adminarn: false });
    const { step, error } = await failedRotation(secretId);
    expect(step).toBe('setSecret');
    expect(error.errorType).toBe('PermissionDeniedError');
    expect(error.message).toBe(
      `user ${user.username} lacks permission on Redis node ${server.address} while reading the ACL of user ${user.username} (NOPERM this user has no permissions to run the 'acl|getuser' command)`,
    );
    const audit = lambda
      .jsonLines()
      .map((line) => line.audit as Record<string, unknown> | undefined)
      .find((a) => a?.errorClass === 'PermissionDeniedError');
    expect(audit?.action).toContain('Set `adminarn`');
  });

  it('reports a secret whose password the server no longer accepts', async () => {
    const { secretId, user } = await userSecret({ adminarn: false, rules: SELF_MANAGED_USER_RULES });
    const reset = testPassword('reset-by-someone');
    seenPasswords.add(reset);
    await server.createUser({ username: user.username, password: reset, rules: SELF_MANAGED_USER_RULES });
    const { error } = await failedRotation(secretId);
    expect(error.errorType).toBe('CredentialRejectedError');
    expect(error.message).toBe(
      `Redis node ${server.address} rejected user ${user.username} with its current password and with its pending password (WRONGPASS)`,
    );
  });

  it('persists with ACL SAVE even when the user may not read CONFIG', async () => {
    const { secretId, user } = await userSecret({ adminarn: false, rules: SELF_MANAGED_USER_RULES });
    await driver.rotate(secretId, invoke);
    const current = (await secrets.valueAt<RedisSecretValue>(secretId, 'AWSCURRENT')) as RedisSecretValue;
    seenPasswords.add(current.password);
    const line = readFileSync(server.aclFilePath as string, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`user ${user.username} `));
    expect(line).toContain(`#${sha256Hex(current.password)}`);
  });
});

describe('servers without an ACL file', () => {
  it.each([
    ['an admin', true],
    ['the user itself', false],
  ])('rotate with %s and warn that the change lives until restart', async (_, withAdmin) => {
    const admin = withAdmin ? await createAdminSecret(secrets, memoryServer) : false;
    const { secretId, user } = await userSecret({
      on: memoryServer,
      adminarn: admin,
      rules: withAdmin ? APP_USER_RULES : SELF_MANAGED_USER_RULES,
    });
    const before = lambda.jsonLines().length;
    await driver.rotate(secretId, invoke);
    const current = (await secrets.valueAt<RedisSecretValue>(secretId, 'AWSCURRENT')) as RedisSecretValue;
    seenPasswords.add(current.password);
    expect(await memoryServer.accepts(current)).toBe(true);
    expect(await memoryServer.accepts(user)).toBe(true);

    const lines = lambda.jsonLines().slice(before);
    const warnings = lines.filter((line) => line.level === 'WARN').map((line) => String(line.message));
    expect(warnings).toContain(
      `Redis node(s) ${memoryServer.address} load no ACL file: the password change for user ${user.username} lives in memory until they restart`,
    );
    const setAudit = lines
      .map((line) => line.audit as Record<string, unknown> | undefined)
      .find((a) => a?.step === 'setSecret');
    expect(setAudit?.aclInMemoryOnly).toBe(memoryServer.address);
  });
});

describe('unusual users and settings', () => {
  it('passes testSecret for a user that may not even PING: the server answered after AUTH', async () => {
    const { secretId, user } = await userSecret({ rules: '~app:* resetchannels -@all +get' });
    await driver.rotate(secretId, invoke);
    const current = (await secrets.valueAt<RedisSecretValue>(secretId, 'AWSCURRENT')) as RedisSecretValue;
    seenPasswords.add(current.password);
    expect(await server.passwordHashes(user.username)).toHaveLength(2);
    const testAudit = lambda
      .jsonLines()
      .map((line) => line.audit as Record<string, unknown> | undefined)
      .filter((a) => a?.step === 'testSecret')
      .at(-1);
    expect(testAudit?.pingRefused).toBe(true);
  });

  it('reports an unreadable REDIS_CA_BUNDLE as a configuration error', async () => {
    const misconfigured = await LocalLambda.start('redis', {
      env: { REDIS_CA_BUNDLE: '/nonexistent/ca.pem' },
    });
    try {
      const { secretId } = await userSecret({ extra: { tls: true } });
      const token = await once.startRotation(secretId);
      const failure = (await once
        .runSteps(secretId, token, (e) => misconfigured.invoke(e))
        .catch((e: unknown) => e)) as RotationFailedError;
      const error = failure.lastError as LambdaInvokeError;
      expect(error.errorType).toBe('ConfigurationError');
      expect(error.message).toContain(
        'REDIS_CA_BUNDLE is /nonexistent/ca.pem, which cannot be read (ENOENT)',
      );
    } finally {
      await misconfigured.stop();
    }
  });

  it('never prints any password used in these failures (checked last)', () => {
    const output = lambda.output();
    expect(lambda.jsonLines().filter((line) => line.level === 'ERROR').length).toBeGreaterThan(5);
    for (const password of seenPasswords) expect(output).not.toContain(password);
  });
});
