import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalLambda } from '../../../dev/aws/local-lambda';
import { type PostgresCluster, startPostgres } from '../../../dev/targets/postgres/cluster';
import { RotationDriver } from '../../../dev/aws/rotation-driver';
import {
  credentialsIn,
  type RotationFunctions,
  startRotationFunctions,
} from '../../../dev/aws/rotation-functions';
import { startRotationService } from '../../../dev/aws/rotation-service';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import { startSnsListener } from '../../../dev/aws/sns-listener';
import { type RotationTarget, startLocalTargets } from '../../../dev/targets';

/**
 * An emergency rotation with revokePrevious for every kind that has a revoke, the whole way: the
 * emergency-rotate bundle finds a rotation that crashed after a completed one, clears its stale
 * AWSPENDING, calls RotateSecret (moto), the rotation service emulator runs the kind's bundle
 * through the four steps, and revoke reaches the same bundle through the Lambda Invoke API served
 * locally, under the function's deployed name. The targets are real (PostgreSQL with SCRAM, Redis
 * ACLs, a local Zoho, a webhook receiver and an MCP server verifying against the secret) and are
 * asked whether each credential works.
 */
type Value = Record<string, unknown>;

const admin = new SecretsAdmin();
const driver = new RotationDriver();
const REASON = 'credential pasted in a public channel';

let cluster: PostgresCluster;
const targets: Record<string, RotationTarget> = {};
let functions: RotationFunctions;
let emergency: LocalLambda;
let alerts: Awaited<ReturnType<typeof startSnsListener>>;
/** Every value any version held, for the no-leak check at the end. */
const seen: Value[] = [];

beforeAll(async () => {
  cluster = await startPostgres();
  // One cluster serves both PostgreSQL strategies; the other targets start their own servers.
  const started = await startLocalTargets(cluster, admin);
  for (const target of started) targets[target.label] = target;
  functions = await startRotationFunctions(started);
  alerts = await startSnsListener(`emergency-per-kind-${Date.now()}`);
  emergency = await LocalLambda.start('emergency-rotate', {
    env: {
      AWS_ENDPOINT_URL_LAMBDA: functions.api.endpoint,
      ALERT_TOPIC_ARN: alerts.topicArn,
      EMERGENCY_WAIT_SECONDS: '20',
      EMERGENCY_POLL_MS: '50',
    },
  });
});

afterAll(async () => {
  await emergency?.stop();
  await functions?.stop();
  await alerts?.stop();
  await Promise.all(Object.values(targets).map((t) => t.stop()));
  await cluster?.stop();
});

async function valueAt(secretId: string, stage: string): Promise<Value> {
  const value = await admin.valueAt(secretId, stage);
  if (!value) throw new Error(`${secretId} has no ${stage} value`);
  seen.push(value);
  return value;
}

const KINDS = [
  'PostgreSQL (alternating users)',
  'PostgreSQL (single user)',
  'Redis (ACL dual passwords)',
  'Redis on ElastiCache (RBAC user)',
  'Zoho CRM OAuth',
  'Webhook bearer token',
  'MCP server token',
];

describe('emergency rotation with revokePrevious, per kind', () => {
  it('covers every kind whose rotator has a revoke', () => {
    expect(Object.keys(targets).sort()).toEqual([...KINDS].sort());
  });

  it.each(KINDS)(
    '%s: clears the stale AWSPENDING, the new credential works, the previous one is refused',
    async (label) => {
      const target = targets[label] as RotationTarget;
      const invoke = functions.invoker(target);
      const functionName = functions.nameOf(target);
      await valueAt(target.secretId, 'AWSCURRENT');

      // A completed scheduled rotation, then one that crashed right after RotateSecret.
      await driver.rotate(target.secretId, invoke, functionName);
      const stale = await driver.startRotation(target.secretId, 30, functionName);
      const leaked = await valueAt(target.secretId, 'AWSCURRENT');
      const leakedVersion = await admin.versionAt(target.secretId, 'AWSCURRENT');

      const service = await startRotationService([target.secretId], invoke, { pollMs: 50 });
      let result: Value;
      try {
        result = (await emergency.invoke({
          secretId: target.secretId,
          reason: REASON,
          revokePrevious: true,
        })) as Value;
      } finally {
        await service.stop();
      }
      expect(service.failures).toEqual([]);
      expect(result).toMatchObject({
        outcome: 'succeeded',
        clearedPendingVersions: [stale],
        previousVersion: leakedVersion,
        revokedPrevious: true,
      });

      const stages = await admin.stages(target.secretId);
      const newVersion = result.version as string;
      expect(service.completed).toEqual([newVersion]);
      expect(stages[newVersion]).toEqual(['AWSCURRENT']);
      expect(stages[stale] ?? []).not.toContain('AWSPENDING');
      expect(Object.values(stages).filter((s) => s.includes('AWSPENDING'))).toEqual([]);
      expect(functions.api.invocations.at(-1)).toBe(functionName);

      // Bearer-token consumers notice label changes at their next cache refresh; settle forces it.
      await target.settle();
      const current = await valueAt(target.secretId, 'AWSCURRENT');
      expect(await target.accepts(current)).toBe(true);
      expect(await target.accepts(leaked)).toBe(false);
    },
  );

  it('announced every emergency rotation, and no function output or notice holds a credential', async () => {
    const notices = await alerts.waitFor(KINDS.length);
    expect(notices.map((n) => JSON.parse(n.Message) as Value)).toEqual(
      KINDS.map(() =>
        expect.objectContaining({ type: 'emergency-rotation', reason: REASON, revokedPrevious: true }),
      ),
    );
    for (const target of Object.values(targets)) {
      for (const stage of ['AWSCURRENT', 'AWSPREVIOUS']) {
        const value = await admin.valueAt(target.secretId, stage);
        if (value) seen.push(value);
      }
    }
    const credentials = credentialsIn(seen);
    expect(credentials.length).toBeGreaterThan(KINDS.length * 2);
    const output = [emergency.output(), functions.output(), JSON.stringify(alerts.messages)].join('\n');
    expect(credentials.filter((credential) => output.includes(credential))).toEqual([]);
  });
});
