import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LambdaInvokeError, LocalLambda } from '../../../dev/aws/local-lambda';
import { RotationDriver, RotationFailedError } from '../../../dev/aws/rotation-driver';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import { type SilentServer, startSilentServer } from '../../../dev/lib/silent-server';
import {
  APP_USER_RULES,
  createAdminSecret,
  createRedisUser,
  type RedisSecretValue,
  redisSecretValue,
  SELF_MANAGED_USER_RULES,
} from '../../../dev/targets/redis/fixture';
import { type RedisServer, sha256Hex, startRedis, testPassword } from '../../../dev/targets/redis/server';

/**
 * Someone who may edit a Redis secret (PutSecretValue) but not the function tries to steer the
 * admin credential, or a user's own password, to a server of their choosing, or to lock out the
 * clients of `default`. Every attempt runs through the built bundle and is refused before any
 * change; the "server of their choosing" is a loopback server that counts the connections it gets.
 */
const secrets = new SecretsAdmin();
const driver = new RotationDriver();
const once = new RotationDriver({ attemptsPerStep: 1 });

let server: RedisServer;
let lambda: LocalLambda;
let trustingLambda: LocalLambda;
let attacker: SilentServer;
let adminSecretId: string;

beforeAll(async () => {
  [server, attacker] = await Promise.all([startRedis(), startSilentServer()]);
  [lambda, trustingLambda] = await Promise.all([
    LocalLambda.start('redis'),
    LocalLambda.start('redis', { env: { ALLOW_ADMIN_SECRET_WITHOUT_HOST: 'true' } }),
  ]);
  adminSecretId = await createAdminSecret(secrets, server);
});

afterAll(async () => {
  await Promise.all([lambda?.stop(), trustingLambda?.stop()]);
  await Promise.all([server?.stop(), attacker?.stop()]);
});

const invoke = (event: unknown) => lambda.invoke(event);

/** Run a rotation expected to fail; AWSCURRENT must not have moved. */
async function failedRotation(secretId: string, token?: string) {
  const rotation = token ?? (await once.startRotation(secretId));
  const failure = await once.runSteps(secretId, rotation, invoke).catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(RotationFailedError);
  const { step, lastError } = failure as RotationFailedError;
  expect(lastError).toBeInstanceOf(LambdaInvokeError);
  expect((await secrets.stages(secretId))[rotation]).toEqual(['AWSPENDING']);
  return { step, error: lastError as LambdaInvokeError };
}

const lastAudit = (step: string) =>
  lambda
    .jsonLines()
    .filter((line) => (line.audit as { step?: string } | undefined)?.step === step)
    .at(-1)?.audit as Record<string, unknown> | undefined;

async function userSecret(value: Partial<RedisSecretValue> = {}, rules = APP_USER_RULES) {
  const user = await createRedisUser([server], { rules });
  const secretId = await secrets.create(secrets.uniqueName('redis', 'password'), {
    ...redisSecretValue(server, user, { adminarn: adminSecretId }),
    ...value,
  });
  return { secretId, user };
}

describe('the admin credential goes only to the servers its own secret names', () => {
  it('a user secret pointed at another host: refused, and that host never hears from us', async () => {
    const before = attacker.accepted();
    const { secretId } = await userSecret({ host: attacker.host, port: attacker.port });
    const { step, error } = await failedRotation(secretId);
    expect(step).toBe('setSecret');
    expect(error.errorType).toBe('AdminHostMismatchError');
    expect(error.message).toContain(
      `lists ${attacker.host}:${attacker.port}, which the Redis admin secret ${adminSecretId} does not name (it names ${server.address}); refused to send the admin credential there`,
    );
    expect(lastAudit('setSecret')).toMatchObject({ outcome: 'failed', retryable: false });
    expect(attacker.accepted()).toBe(before);
  });

  it('a node added to the user secret: refused before any node is changed', async () => {
    const before = attacker.accepted();
    const { secretId, user } = await userSecret({ nodes: [`${attacker.host}:${attacker.port}`] });
    const { error } = await failedRotation(secretId);
    expect(error.errorType).toBe('AdminHostMismatchError');
    expect(attacker.accepted()).toBe(before);
    expect(await server.passwordHashes(user.username)).toEqual([sha256Hex(user.password)]);
  });

  it('an admin secret without host: refused by default, used where the deployment opts in', async () => {
    const hostless = await secrets.create(secrets.uniqueName('redis', 'admin'), server.adminCreds);
    const { secretId, user } = await userSecret({ adminarn: hostless });
    const { error } = await failedRotation(secretId);
    expect(error.errorType).toBe('AdminHostMismatchError');
    expect(error.message).toContain(`the Redis admin secret ${hostless} names no host`);
    expect(error.message).not.toContain(server.adminCreds.password);
    expect(await server.passwordHashes(user.username)).toEqual([sha256Hex(user.password)]);

    await driver.rotate(secretId, (event) => trustingLambda.invoke(event));
    const current = await secrets.valueAt<RedisSecretValue>(secretId, 'AWSCURRENT');
    expect(await server.accepts(current as RedisSecretValue)).toBe(true);
  });

  it("refuses a user secret that names the admin secret's own user", async () => {
    const before = attacker.accepted();
    const admin = await createAdminSecret(secrets, { ...server, host: attacker.host, port: attacker.port });
    const secretId = await secrets.create(secrets.uniqueName('redis', 'password'), {
      host: attacker.host,
      port: attacker.port,
      username: server.adminCreds.username,
      password: testPassword('guess'),
      tls: false,
      adminarn: admin,
    });
    const { error } = await failedRotation(secretId);
    expect(error.errorType).toBe('AclUserNotRotatableError');
    expect(error.message).toContain(`names user ${server.adminCreds.username}, the admin secret's own user`);
    expect(attacker.accepted()).toBe(before);
  });

  it('refuses an admin secret of another environment before reading it', async () => {
    const prodAdmin = await createAdminSecret(secrets, server, `sergas/redis/prod/acl-admin-${Date.now()}`);
    const { secretId } = await userSecret({ adminarn: prodAdmin });
    const { error } = await failedRotation(secretId);
    expect(error.errorType).toBe('CrossEnvironmentReferenceError');
    expect(error.message).toContain('`adminarn` names');
    expect(error.message).toContain('a secret of environment prod, not dev');
  });
});

describe("a user's own password goes only to the nodes its own version lists", () => {
  it('an AWSPENDING edited to list another node: the current password is not sent there', async () => {
    const before = attacker.accepted();
    const user = await createRedisUser([server], { rules: SELF_MANAGED_USER_RULES });
    const value = redisSecretValue(server, user);
    const secretId = await secrets.create(secrets.uniqueName('redis', 'password'), value);
    const token = await once.startRotation(secretId);
    await secrets.sm.send(
      new PutSecretValueCommand({
        SecretId: secretId,
        ClientRequestToken: token,
        VersionStages: ['AWSPENDING'],
        SecretString: JSON.stringify({
          ...value,
          password: testPassword('pending'),
          nodes: [`${attacker.host}:${attacker.port}`],
        }),
      }),
    );
    const { step, error } = await failedRotation(secretId, token);
    expect(step).toBe('setSecret');
    expect(error.errorType).toBe('NodesMismatchError');
    expect(error.message).toContain(
      `does not list ${attacker.host}:${attacker.port}; refused to send its password there`,
    );
    expect(attacker.accepted()).toBe(before);
    expect(await server.passwordHashes(user.username)).toEqual([sha256Hex(user.password)]);
  });
});

describe('the default user', () => {
  async function serverWithDefault(rules: string) {
    const theirs = { username: 'default', password: testPassword('theirs') };
    const own = await startRedis({ users: [{ ...theirs, rules }] });
    const admin = await createAdminSecret(secrets, own);
    return { own, admin, theirs };
  }

  it('is not given a password while it has nopass: every password-less client would be locked out', async () => {
    const { own, admin } = await serverWithDefault('nopass ~* &* +@all');
    try {
      const secretId = await secrets.create(secrets.uniqueName('redis', 'password'), {
        host: own.host,
        port: own.port,
        username: 'default',
        password: testPassword('any'),
        tls: false,
        adminarn: admin,
      });
      const { error } = await failedRotation(secretId);
      expect(error.errorType).toBe('AclUserNotRotatableError');
      expect(error.message).toContain(`the default user has nopass on Redis node ${own.address}`);
      // nopass: any password (or none) still logs in as default.
      expect(await own.accepts({ username: 'default', password: 'no-password-at-all' })).toBe(true);
      const [, flags] = (await own.adminCall('ACL', 'GETUSER', 'default')) as [string, string[]];
      expect(flags).toContain('nopass');
    } finally {
      await own.stop();
    }
  });

  it('keeps the passwords of other clients: refused while default holds one this secret never held', async () => {
    const { own, admin, theirs } = await serverWithDefault('~* &* +@all');
    try {
      const ours = { username: 'default', password: testPassword('ours') };
      await own.adminCall('ACL', 'SETUSER', 'default', `>${ours.password}`);
      const secretId = await secrets.create(secrets.uniqueName('redis', 'password'), {
        host: own.host,
        port: own.port,
        ...ours,
        tls: false,
        adminarn: admin,
      });
      const { error } = await failedRotation(secretId);
      expect(error.errorType).toBe('AclUserNotRotatableError');
      expect(error.message).toContain('holds 1 password(s) this secret never held');
      expect(await own.accepts(theirs)).toBe(true);
      expect(await own.passwordHashes('default')).toHaveLength(2);
    } finally {
      await own.stop();
    }
  });
});
