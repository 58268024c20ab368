import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalLambda } from '../../../dev/aws/local-lambda';
import { type CountingProxy, startCountingProxy } from '../../../dev/aws/counting-proxy';
import {
  type RedisCredentials,
  type RedisServer,
  sha256Hex,
  startRedis,
} from '../../../dev/targets/redis/server';
import {
  createAdminSecret,
  createRedisUser,
  type RedisSecretValue,
  redisSecretValue,
  SELF_MANAGED_USER_RULES,
} from '../../../dev/targets/redis/fixture';
import { type RotationEventShape, RotationDriver } from '../../../dev/aws/rotation-driver';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';

/**
 * The built Redis rotator against a real redis-server (ACL file, real passwords) and moto's
 * Secrets Manager, with every AWS call counted on the way.
 */
const secrets = new SecretsAdmin();
const driver = new RotationDriver();
/** Every password this file creates or sees: none may appear in the function's output. */
const seenPasswords = new Set<string>();

let server: RedisServer;
let lambda: LocalLambda;
let counter: CountingProxy;
let adminSecretId: string;

const invoke = (event: RotationEventShape | Record<string, unknown>) => lambda.invoke(event);

beforeAll(async () => {
  server = await startRedis();
  seenPasswords.add(server.adminCreds.password);
  counter = await startCountingProxy(process.env.AWS_ENDPOINT_URL as string);
  lambda = await LocalLambda.start('redis', { env: { AWS_ENDPOINT_URL: counter.endpoint } });
  adminSecretId = await createAdminSecret(secrets, server);
});

afterAll(async () => {
  await lambda?.stop();
  await counter?.stop();
  await server?.stop();
});

/** A fresh user and its secret (admin-managed unless `selfManaged`). */
async function newSecret(
  options: { selfManaged?: boolean; username?: string } = {},
): Promise<{ secretId: string; user: RedisCredentials }> {
  const user = await createRedisUser([server], {
    ...(options.username ? { username: options.username } : {}),
    ...(options.selfManaged ? { rules: SELF_MANAGED_USER_RULES } : {}),
  });
  seenPasswords.add(user.password);
  const value = redisSecretValue(server, user, {
    ...(options.selfManaged ? {} : { adminarn: adminSecretId }),
    extra: { dbIndex: 3, owner: 'crm-sync' },
  });
  return { secretId: await secrets.create(secrets.uniqueName('redis', 'password'), value), user };
}

async function valueAt(secretId: string, stage: string): Promise<RedisSecretValue> {
  const value = await secrets.valueAt<RedisSecretValue>(secretId, stage);
  if (!value) throw new Error(`no ${stage} value`);
  seenPasswords.add(value.password);
  return value;
}

describe('Redis rotation through the built bundle and moto', () => {
  it('adds the new password next to the old one, promotes it, and keeps unknown keys', async () => {
    const { secretId, user } = await newSecret();
    const token = await driver.rotate(secretId, invoke);

    const current = await valueAt(secretId, 'AWSCURRENT');
    const previous = await valueAt(secretId, 'AWSPREVIOUS');
    expect((await secrets.stages(secretId))[token]).toEqual(['AWSCURRENT']);
    expect(previous.password).toBe(user.password);
    expect(current.password).not.toBe(user.password);
    expect(current).toMatchObject({ username: user.username, dbIndex: 3, owner: 'crm-sync', tls: false });
    expect(await server.accepts(current)).toBe(true);
    expect(await server.accepts(previous)).toBe(true);
    expect(await server.passwordHashes(user.username)).toEqual(
      [sha256Hex(current.password), sha256Hex(previous.password)].sort(),
    );
  });

  it('after three rotations holds exactly the current and previous passwords; older ones fail', async () => {
    const { secretId, user } = await newSecret();
    const passwords = [user.password];
    for (let i = 0; i < 3; i++) {
      await driver.rotate(secretId, invoke);
      passwords.push((await valueAt(secretId, 'AWSCURRENT')).password);
    }
    const works = await Promise.all(
      passwords.map((password) => server.accepts({ username: user.username, password })),
    );
    expect(works).toEqual([false, false, true, true]);
    expect(await server.passwordHashes(user.username)).toEqual(passwords.slice(2).map(sha256Hex).sort());
  });

  it('persists every change to the ACL file, as hashes only', async () => {
    const { secretId, user } = await newSecret();
    await driver.rotate(secretId, invoke);
    const current = await valueAt(secretId, 'AWSCURRENT');
    const file = readFileSync(server.aclFilePath as string, 'utf8');
    const line = file.split('\n').find((l) => l.startsWith(`user ${user.username} `)) ?? '';
    expect(line).toContain(`#${sha256Hex(current.password)}`);
    expect(line).toContain(`#${sha256Hex(user.password)}`);
    expect(file).not.toContain(current.password);
    expect(file).not.toContain(user.password);
  });

  it('leaves the same state when every step runs twice', async () => {
    const { secretId, user } = await newSecret();
    const twice = async (event: RotationEventShape) => {
      await invoke(event);
      await invoke(event);
    };
    const token = await driver.rotate(secretId, twice);
    const current = await valueAt(secretId, 'AWSCURRENT');
    const stages = await secrets.stages(secretId);
    expect(stages[token]).toEqual(['AWSCURRENT']);
    expect(Object.values(stages).flat().sort()).toEqual(['AWSCURRENT', 'AWSPREVIOUS']);
    expect(await server.passwordHashes(user.username)).toEqual(
      [sha256Hex(current.password), sha256Hex(user.password)].sort(),
    );
  });

  it.each([
    ['setSecret', ['createSecret', 'setSecret'] as const],
    ['testSecret', ['createSecret', 'setSecret', 'testSecret'] as const],
  ])(
    'resumes a rotation that crashed after %s, with the pending password it already set',
    async (_, before) => {
      const { secretId, user } = await newSecret();
      const token = await driver.startRotation(secretId);
      await driver.runSteps(secretId, token, invoke, before);
      const pending = await valueAt(secretId, 'AWSPENDING');
      // Mid-rotation, both passwords work: clients on AWSCURRENT never notice.
      expect(await server.accepts(pending)).toBe(true);
      expect(await server.accepts(user)).toBe(true);
      expect((await valueAt(secretId, 'AWSCURRENT')).password).toBe(user.password);

      // The service reattempts from the start with the same token.
      await driver.runSteps(secretId, token, invoke);
      const current = await valueAt(secretId, 'AWSCURRENT');
      expect(current.password).toBe(pending.password);
      expect(await server.passwordHashes(user.username)).toEqual(
        [sha256Hex(pending.password), sha256Hex(user.password)].sort(),
      );
    },
  );

  it('rotates the `default` user', async () => {
    const { secretId } = await newSecret({ username: 'default' });
    await driver.rotate(secretId, invoke);
    await driver.rotate(secretId, invoke);
    const current = await valueAt(secretId, 'AWSCURRENT');
    const previous = await valueAt(secretId, 'AWSPREVIOUS');
    expect(current.username).toBe('default');
    expect(await server.accepts(current)).toBe(true);
    expect(await server.accepts(previous)).toBe(true);
    expect(await server.passwordHashes('default')).toHaveLength(2);
  });

  it('lets a user that holds +acl rotate its own password when there is no adminarn', async () => {
    const { secretId, user } = await newSecret({ selfManaged: true });
    await driver.rotate(secretId, invoke);
    await driver.rotate(secretId, invoke);
    const current = await valueAt(secretId, 'AWSCURRENT');
    expect(current.adminarn).toBeUndefined();
    expect(await server.accepts(current)).toBe(true);
    expect(await server.accepts(user)).toBe(false);
    expect(await server.passwordHashes(user.username)).toHaveLength(2);
  });

  it('revokePrevious makes the previous password fail at once and keeps the current one', async () => {
    const { secretId, user } = await newSecret();
    await driver.rotate(secretId, invoke);
    const current = await valueAt(secretId, 'AWSCURRENT');
    expect(await server.accepts(user)).toBe(true);

    await invoke({ Action: 'revokePrevious', SecretId: secretId, Reason: 'leaked in a CI log' });
    expect(await server.accepts(user)).toBe(false);
    expect(await server.accepts(current)).toBe(true);
    expect(await server.passwordHashes(user.username)).toEqual([sha256Hex(current.password)]);
    // Revoking again finds nothing to remove and still succeeds.
    await invoke({ Action: 'revokePrevious', SecretId: secretId, Reason: 'retry' });
    expect(await server.accepts(current)).toBe(true);
  });

  it('never shows a plaintext password in MONITOR or the slow log during a rotation', async () => {
    const { secretId, user } = await newSecret();
    await server.adminCall('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    await server.adminCall('SLOWLOG', 'RESET');
    const monitor = await server.monitor();
    try {
      await driver.rotate(secretId, invoke);
      await invoke({ Action: 'revokePrevious', SecretId: secretId, Reason: 'monitor test' });
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      monitor.stop();
      await server.adminCall('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
    }
    const current = await valueAt(secretId, 'AWSCURRENT');
    const lines = monitor.lines();
    const slowlog = JSON.stringify(await server.adminCall('SLOWLOG', 'GET', '1000'));
    // The capture really saw the rotation's traffic: testSecret's PING, redacted AUTH/HELLO.
    expect(lines.some((line) => line.includes('"PING"'))).toBe(true);
    expect(lines.some((line) => line.includes('(redacted)'))).toBe(true);
    expect(slowlog).toContain('SETUSER');
    for (const password of [user.password, current.password]) {
      expect(lines.join('\n')).not.toContain(password);
      expect(slowlog).not.toContain(password);
    }
  });

  it('makes a handful of Secrets Manager calls per rotation', async () => {
    const { secretId } = await newSecret();
    // Warm: the container has already read this secret's current version (as Lambda usually is
    // between the four steps). A cold container adds one GetSecretValue (AWSCURRENT).
    await driver.rotate(secretId, invoke);
    counter.reset();
    const started = performance.now();
    await driver.rotate(secretId, invoke);
    const wallMs = performance.now() - started;
    const counts = counter.counts();
    console.log(`redis rotation: ${Math.round(wallMs)} ms, Secrets Manager calls ${JSON.stringify(counts)}`);
    // createSecret: Describe, Get(pending probe), Put; setSecret: Describe, Get(admin secret);
    // testSecret: Describe; finishSecret: Describe, Get(admin secret), UpdateSecretVersionStage.
    expect(counts).toEqual({
      DescribeSecret: 4,
      GetSecretValue: 3,
      PutSecretValue: 1,
      UpdateSecretVersionStage: 1,
    });
  });

  it('never prints a password, its hash, or the admin password (checked last)', async () => {
    const output = lambda.output();
    const audits = lambda.jsonLines().filter((line) => line.audit !== undefined);
    expect(audits.length).toBeGreaterThan(20);
    expect(seenPasswords.size).toBeGreaterThan(10);
    for (const password of seenPasswords) {
      expect(output).not.toContain(password);
      expect(output).not.toContain(sha256Hex(password));
    }
  });
});
