import { randomUUID } from 'node:crypto';
import type { CountingProxy } from '../aws/counting-proxy';
import { LocalLambda } from '../aws/local-lambda';
import { countMonitorCalls } from '../aws/monitor-calls';
import { RotationDriver, RotationFailedError } from '../aws/rotation-driver';
import { deployedName } from '../aws/rotation-functions';
import type { SecretsAdmin } from '../aws/secrets-admin';
import type { PostgresCluster } from '../targets/postgres/cluster';
import { createFleet, type FleetKind, startFleetTargets } from './fleet-secrets';
import { median, percentile, round } from './stats';

export interface FleetKindFigures {
  kind: string;
  secrets: number;
  failures: number;
  /** One rotation: RotateSecret, the four steps in a warm function, the label clean-up. */
  p50Ms: number;
  p95Ms: number;
  /** The first failure's error name, when any failed. */
  firstError?: string;
}

export interface FleetFigures {
  secrets: number;
  concurrency: number;
  setupSeconds: number;
  totalSeconds: number;
  rotationsPerSecond: number;
  failures: number;
  kinds: FleetKindFigures[];
  /** Warm function processes the wave needed (a pool per function, grown when all were busy). */
  functionProcesses: number;
  peakRssMb: number;
  /** What the rotation monitor spent on this fleet afterwards, through the counting proxy. */
  monitor: { checked: number; listPages: number; perSecretCalls: number; byAction: Record<string, number> };
}

/**
 * Warm processes of one function, grown on demand like Lambda's containers: a rotation takes an
 * idle one or starts another, and gives it back when done.
 */
class FunctionPool {
  readonly all: LocalLambda[] = [];
  readonly #idle: LocalLambda[] = [];
  constructor(
    readonly functionName: string,
    readonly env: Record<string, string>,
  ) {}

  async acquire(): Promise<LocalLambda> {
    const idle = this.#idle.pop();
    if (idle) return idle;
    const started = await LocalLambda.start(this.functionName, { env: this.env });
    this.all.push(started);
    return started;
  }

  release(lambda: LocalLambda): void {
    this.#idle.push(lambda);
  }
}

/** `setSecret CredentialRejectedError`: where a rotation failed and with what, never a message. */
function failureName(error: unknown): string {
  if (error instanceof RotationFailedError) {
    const cause = error.lastError instanceof Error ? error.lastError.name : 'Error';
    return `${error.step} ${cause}`;
  }
  return error instanceof Error ? error.name : 'Error';
}

/** Kinds sharing a function share its pool and environment (their `env` merged), as in one stack. */
function poolsFor(kinds: readonly FleetKind[]): Map<string, FunctionPool> {
  const pools = new Map<string, FunctionPool>();
  for (const name of new Set(kinds.map((kind) => kind.functionName))) {
    const env = Object.assign({}, ...kinds.filter((k) => k.functionName === name).map((k) => k.env));
    pools.set(name, new FunctionPool(name, env));
  }
  return pools;
}

/**
 * A mixed fleet: `size` secrets of every kind against the local targets, rotated in one wave by
 * `concurrency` workers taking the next secret from a shared queue (one attempt per step: a failure
 * counts, it is not retried away). Then the monitor runs once over the fleet through the counting
 * proxy. Set-up is timed apart.
 */
export async function benchFleet(
  cluster: PostgresCluster,
  admin: SecretsAdmin,
  proxy: CountingProxy,
  size: number,
  concurrency: number,
  progress: (line: string) => void = () => undefined,
): Promise<FleetFigures> {
  const setupStarted = performance.now();
  const targets = await startFleetTargets(cluster, admin);
  const pools = poolsFor(targets.kinds);
  try {
    const tagValue = `bench-fleet-${randomUUID().slice(0, 8)}`;
    const fleet = await createFleet(targets, admin, size, tagValue);
    const setupSeconds = round((performance.now() - setupStarted) / 1000, 1);
    progress(`  ${size} secrets created and tagged in ${setupSeconds} s; rotating ${concurrency} at a time`);

    const durations = new Map<FleetKind, number[]>();
    const failures = new Map<FleetKind, string[]>();
    const queue = [...fleet];
    let done = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        const driver = new RotationDriver({ attemptsPerStep: 1 });
        for (let next = queue.shift(); next; next = queue.shift()) {
          const pool = pools.get(next.kind.functionName) as FunctionPool;
          const lambda = await pool.acquire();
          const rotationStarted = performance.now();
          try {
            await driver.rotate(
              next.secretId,
              (event) => lambda.invoke(event),
              deployedName(pool.functionName),
            );
            durations.set(next.kind, [
              ...(durations.get(next.kind) ?? []),
              performance.now() - rotationStarted,
            ]);
          } catch (error) {
            failures.set(next.kind, [...(failures.get(next.kind) ?? []), failureName(error)]);
          } finally {
            pool.release(lambda);
          }
          if (++done % 100 === 0) progress(`  ${done}/${size} rotated`);
        }
      }),
    );
    const totalMs = performance.now() - started;
    const lambdas = [...pools.values()].flatMap((pool) => pool.all);
    const memories = await Promise.all(lambdas.map((lambda) => lambda.memory()));
    const monitor = await countMonitorCalls(proxy, tagValue);
    const failed = [...failures.values()].reduce((sum, names) => sum + names.length, 0);
    return {
      secrets: size,
      concurrency,
      setupSeconds,
      totalSeconds: round(totalMs / 1000, 2),
      rotationsPerSecond: round((size - failed) / (totalMs / 1000)),
      failures: failed,
      kinds: targets.kinds.map((kind) => {
        const times = durations.get(kind) ?? [];
        const errors = failures.get(kind) ?? [];
        return {
          kind: kind.label,
          secrets: fleet.filter((secret) => secret.kind === kind).length,
          failures: errors.length,
          p50Ms: round(median(times)),
          p95Ms: round(percentile(times, 95)),
          ...(errors[0] ? { firstError: errors[0] } : {}),
        };
      }),
      functionProcesses: lambdas.length,
      peakRssMb: round(Math.max(...memories.map((m) => m.maxRssKb)) / 1024),
      monitor: {
        checked: monitor.checked,
        listPages: monitor.listPages,
        perSecretCalls: monitor.perSecretCalls,
        byAction: monitor.byAction,
      },
    };
  } finally {
    await Promise.all([...pools.values()].flatMap((pool) => pool.all).map((lambda) => lambda.stop()));
    await targets.stop();
  }
}
