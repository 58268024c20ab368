import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalLambda } from '../../../dev/aws/local-lambda';
import { type CountingProxy, startCountingProxy } from '../../../dev/aws/counting-proxy';
import { type PostgresCluster, startPostgres } from '../../../dev/targets/postgres/cluster';
import {
  createPostgresFixture,
  postgresFunctionEnv,
  type Strategy,
} from '../../../dev/targets/postgres/fixture';
import { RotationDriver } from '../../../dev/aws/rotation-driver';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';

/**
 * How many Secrets Manager calls one rotation costs the function (AWS's single-user sample makes
 * about 14). Measured at the wire: the function's AWS endpoint is a counting proxy in front of moto,
 * so retries and hidden calls count too. The driver's own calls (RotateSecret...) go around it.
 */
const secrets = new SecretsAdmin();
const driver = new RotationDriver({ attemptsPerStep: 1 });

let cluster: PostgresCluster;
let proxy: CountingProxy;
let lambda: LocalLambda;

beforeAll(async () => {
  cluster = await startPostgres();
  proxy = await startCountingProxy(process.env.AWS_ENDPOINT_URL ?? '');
  lambda = await LocalLambda.start('postgres', {
    env: postgresFunctionEnv({ AWS_ENDPOINT_URL: proxy.endpoint }),
  });
});

afterAll(async () => {
  await lambda?.stop();
  await proxy?.stop();
  await cluster?.stop();
});

async function callsPerRotation(strategy: Strategy): Promise<Record<string, number>[]> {
  const fixture = await createPostgresFixture(cluster, secrets, { strategy });
  const perRotation: Record<string, number>[] = [];
  for (let i = 0; i < 3; i++) {
    proxy.reset();
    await driver.rotate(fixture.secretId, (event) => lambda.invoke(event));
    perRotation.push(proxy.counts());
  }
  return perRotation;
}

/** Every step in a fresh container (the worst case: nothing cached between steps). */
async function callsPerColdRotation(strategy: Strategy): Promise<Record<string, number>> {
  const fixture = await createPostgresFixture(cluster, secrets, { strategy });
  proxy.reset();
  await driver.rotate(fixture.secretId, async (event) => {
    const cold = await LocalLambda.start('postgres', {
      env: postgresFunctionEnv({ AWS_ENDPOINT_URL: proxy.endpoint }),
    });
    try {
      return await cold.invoke(event);
    } finally {
      await cold.stop();
    }
  });
  return proxy.counts();
}

const calls = (getSecretValue: number) => ({
  DescribeSecret: 4,
  GetSecretValue: getSecretValue,
  PutSecretValue: 1,
  UpdateSecretVersionStage: 1,
});

describe('Secrets Manager calls per rotation', () => {
  // Warm: the first rotation reads AWSCURRENT; later ones already hold it (they wrote it as
  // AWSPENDING). One GetSecretValue probes the empty AWSPENDING in createSecret.
  it('single user, warm container: 8, then 7 (4 DescribeSecret, 2 then 1 GetSecretValue, 1 Put, 1 UpdateStage)', async () => {
    expect(await callsPerRotation('single-user')).toEqual([calls(2), calls(1), calls(1)]);
  });

  it('alternating users, warm container: 9, then 8 (plus the master secret, read in setSecret)', async () => {
    expect(await callsPerRotation('alternating-users')).toEqual([calls(3), calls(2), calls(2)]);
  });

  it('a fresh container for every step: 12 for a single user, 13 for alternating users', async () => {
    expect(await callsPerColdRotation('single-user')).toEqual(calls(6));
    expect(await callsPerColdRotation('alternating-users')).toEqual(calls(7));
  });
});
