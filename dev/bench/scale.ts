import { LocalLambda } from '../aws/local-lambda';
import { createPostgresFixture, postgresFunctionEnv } from '../targets/postgres/fixture';
import type { PostgresCluster } from '../targets/postgres/cluster';
import { RotationDriver } from '../aws/rotation-driver';
import type { SecretsAdmin } from '../aws/secrets-admin';
import { round } from './stats';

export interface ScaleFigures {
  secrets: number;
  concurrency: number;
  totalSeconds: number;
  rotationsPerSecond: number;
  msPerRotation: number;
  failures: number;
  peakRssMb: number;
}

/**
 * `secrets` PostgreSQL secrets (one role each, single user), rotated by `concurrency` warm function
 * processes working through a shared queue: a scheduled wave at scale. Set-up is not timed.
 */
export async function benchScale(
  cluster: PostgresCluster,
  admin: SecretsAdmin,
  secrets: number,
  concurrency: number,
): Promise<ScaleFigures> {
  const secretIds: string[] = [];
  for (let i = 0; i < secrets; i += 25) {
    const batch = Math.min(25, secrets - i);
    const created = await Promise.all(
      Array.from({ length: batch }, () => createPostgresFixture(cluster, admin, { strategy: 'single-user' })),
    );
    secretIds.push(...created.map((fixture) => fixture.secretId));
  }
  const lambdas = await Promise.all(
    Array.from({ length: concurrency }, () => LocalLambda.start('postgres', { env: postgresFunctionEnv() })),
  );
  const queue = [...secretIds];
  let failures = 0;
  const started = performance.now();
  try {
    await Promise.all(
      lambdas.map(async (lambda) => {
        const driver = new RotationDriver({ attemptsPerStep: 1 });
        for (let secretId = queue.shift(); secretId; secretId = queue.shift()) {
          try {
            await driver.rotate(secretId, (event) => lambda.invoke(event));
          } catch {
            failures++;
          }
        }
      }),
    );
    const totalMs = performance.now() - started;
    const memories = await Promise.all(lambdas.map((lambda) => lambda.memory()));
    return {
      secrets,
      concurrency,
      totalSeconds: round(totalMs / 1000, 2),
      rotationsPerSecond: round(secrets / (totalMs / 1000)),
      msPerRotation: round(totalMs / secrets, 2),
      failures,
      peakRssMb: round(Math.max(...memories.map((m) => m.maxRssKb)) / 1024),
    };
  } finally {
    await Promise.all(lambdas.map((lambda) => lambda.stop()));
  }
}
