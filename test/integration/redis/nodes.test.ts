import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LambdaInvokeError, LocalLambda } from '../../../dev/aws/local-lambda';
import { freePort } from '../../../dev/lib/ports';
import { type RedisServer, sha256Hex, startRedis } from '../../../dev/targets/redis/server';
import {
  createAdminSecret,
  passwordsOf,
  createRedisUser,
  type RedisSecretValue,
  redisSecretValue,
} from '../../../dev/targets/redis/fixture';
import { RotationDriver, RotationFailedError } from '../../../dev/aws/rotation-driver';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';

/**
 * Redis ACLs are per node: a replica listed in `nodes` must end with exactly the primary's
 * passwords, and a node that cannot be reached must stop the rotation with its address named.
 */
const CONNECT_TIMEOUT_MS = 800;
const secrets = new SecretsAdmin();
/** Every secret this file rotates: the final no-leak check reads all their passwords. */
const createdSecrets: string[] = [];

const driver = new RotationDriver();
/** One attempt per step: the failure tests look at the first error, not the service's retries. */
const once = new RotationDriver({ attemptsPerStep: 1 });

let primary: RedisServer;
let replica: RedisServer;
let lambda: LocalLambda;
const extraServers: RedisServer[] = [];
let silentServer: Server | undefined;
const silentSockets: Socket[] = [];

beforeAll(async () => {
  primary = await startRedis();
  replica = await startRedis({ replicaOf: primary });
  lambda = await LocalLambda.start('redis', {
    env: { REDIS_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS) },
  });
});

afterAll(async () => {
  await lambda?.stop();
  for (const socket of silentSockets) socket.destroy();
  await new Promise((resolve) => (silentServer ? silentServer.close(resolve) : resolve(undefined)));
  await Promise.all([primary, replica, ...extraServers].map((server) => server?.stop()));
});

const invoke = (event: unknown) => lambda.invoke(event);

async function secretFor(nodes: string[]): Promise<{ secretId: string; username: string; password: string }> {
  const user = await createRedisUser([primary, replica]);
  // The admin secret names the same servers: its password goes to no other.
  const adminarn = await createAdminSecret(secrets, primary, undefined, nodes);
  const value = { ...redisSecretValue(primary, user, { adminarn }), nodes };
  const secretId = await secrets.create(secrets.uniqueName('redis', 'password'), value);
  createdSecrets.push(secretId);
  return { secretId, ...user };
}

function stepError(error: unknown): LambdaInvokeError {
  expect(error).toBeInstanceOf(RotationFailedError);
  const last = (error as RotationFailedError).lastError;
  expect(last).toBeInstanceOf(LambdaInvokeError);
  return last as LambdaInvokeError;
}

describe('nodes', () => {
  it('gives a replica listed in `nodes` exactly the same passwords as the primary', async () => {
    const { secretId, ...user } = await secretFor([replica.address]);
    await driver.rotate(secretId, invoke);
    await driver.rotate(secretId, invoke);
    const current = (await secrets.valueAt<RedisSecretValue>(secretId, 'AWSCURRENT')) as RedisSecretValue;
    const previous = (await secrets.valueAt<RedisSecretValue>(secretId, 'AWSPREVIOUS')) as RedisSecretValue;

    const expected = [sha256Hex(current.password), sha256Hex(previous.password)].sort();
    expect(await primary.passwordHashes(user.username)).toEqual(expected);
    expect(await replica.passwordHashes(user.username)).toEqual(expected);
    for (const server of [primary, replica]) {
      expect(await server.accepts(current)).toBe(true);
      expect(await server.accepts(user)).toBe(false);
    }
    // The replica really is one: what the rotated user writes on the primary arrives there.
    const writer = await primary.connect(current);
    await writer.set('app:replicated', 'yes');
    writer.disconnect();
    await expect.poll(() => replica.adminCall('GET', 'app:replicated'), { timeout: 5_000 }).toBe('yes');
  });

  it('fails setSecret naming an unreachable node, then completes once the node is back', async () => {
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const { secretId, ...user } = await secretFor([replica.address, address]);
    const token = await once.startRotation(secretId);

    const failure = await once.runSteps(secretId, token, invoke).catch((error: unknown) => error);
    const error = stepError(failure);
    expect((failure as RotationFailedError).step).toBe('setSecret');
    expect(error.errorType).toBe('TargetUnreachableError');
    expect(error.message).toContain(`Redis node ${address} (listed in \`nodes\`) refused the connection`);
    expect(error.message).not.toContain(user.password);
    expect((await secrets.valueAt<RedisSecretValue>(secretId, 'AWSCURRENT'))?.password).toBe(user.password);

    // The node comes back (with the user, as an operator would restore it); the retry completes.
    const returned = await startRedis({ replicaOf: primary, port });
    extraServers.push(returned);
    await returned.createUser({ ...user, rules: '~app:* resetchannels -@all +@read +@write +@connection' });
    await driver.runSteps(secretId, token, invoke);
    const current = (await secrets.valueAt<RedisSecretValue>(secretId, 'AWSCURRENT')) as RedisSecretValue;
    expect(current.password).not.toBe(user.password);
    for (const server of [primary, replica, returned]) {
      expect(await server.passwordHashes(user.username)).toEqual(
        [sha256Hex(current.password), sha256Hex(user.password)].sort(),
      );
    }
  });

  it('fails within the connect timeout when a node accepts connections but never answers', async () => {
    silentServer = createServer((socket) => silentSockets.push(socket));
    const port = await new Promise<number>((resolve) =>
      silentServer?.listen(0, '127.0.0.1', () => resolve((silentServer?.address() as { port: number }).port)),
    );
    const { secretId } = await secretFor([`127.0.0.1:${port}`]);
    const token = await once.startRotation(secretId);
    const started = performance.now();
    const error = stepError(await once.runSteps(secretId, token, invoke).catch((e: unknown) => e));
    const elapsed = performance.now() - started;
    expect(error.errorType).toBe('TargetUnreachableError');
    expect(error.message).toContain(
      `Redis node 127.0.0.1:${port} (listed in \`nodes\`) did not answer within ${CONNECT_TIMEOUT_MS} ms`,
    );
    expect(elapsed).toBeLessThan(CONNECT_TIMEOUT_MS + 2_000);
  });

  it('fails testSecret when a node lost the pending password after setSecret, and never promotes it', async () => {
    const { secretId, ...user } = await secretFor([replica.address]);
    const token = await once.startRotation(secretId);
    await once.runSteps(secretId, token, invoke, ['createSecret', 'setSecret']);
    const pending = (await secrets.valueAt<RedisSecretValue>(secretId, 'AWSPENDING')) as RedisSecretValue;
    // The replica restarts from an old ACL file, say.
    await replica.adminCall('ACL', 'SETUSER', user.username, `!${sha256Hex(pending.password)}`);

    const error = stepError(
      await once.runSteps(secretId, token, invoke, ['testSecret']).catch((e: unknown) => e),
    );
    expect(error.errorType).toBe('CredentialRejectedError');
    expect(error.message).toContain(`Redis node ${replica.address} (listed in \`nodes\`) rejected user`);
    expect((await secrets.valueAt<RedisSecretValue>(secretId, 'AWSCURRENT'))?.password).toBe(user.password);
    // finishSecret refuses too, rather than promote a password a node does not hold.
    const finish = stepError(
      await once.runSteps(secretId, token, invoke, ['finishSecret']).catch((e: unknown) => e),
    );
    expect(finish.errorType).toBe('TargetError');
    expect(finish.message).toContain('does not hold the pending password');
    expect(await replica.passwordHashes(user.username)).toEqual([sha256Hex(user.password)]);
  });

  it('never prints a password of any secret used here (checked last)', async () => {
    const passwords = await passwordsOf(secrets, createdSecrets);
    expect(passwords.length).toBeGreaterThan(5);
    const output = lambda.output();
    for (const password of [...passwords, ...[primary, replica].map((s) => s.adminCreds.password)]) {
      expect(output).not.toContain(password);
    }
  });
});
