import { RotateSecretCommand, TagResourceCommand } from '@aws-sdk/client-secrets-manager';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { type PostgresCluster, startPostgres } from '../../../dev/targets/postgres/cluster';
import { RotationDriver } from '../../../dev/aws/rotation-driver';
import {
  credentialsIn,
  deployedName,
  type RotationFunctions,
  startRotationFunctions,
} from '../../../dev/aws/rotation-functions';
import { startRotationService } from '../../../dev/aws/rotation-service';
import { jsonLinesOf, runNpmScript, runScript, type ScriptRun } from '../../../dev/lib/run-script';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import { type RotationTarget, startLocalTargets } from '../../../dev/targets';

/**
 * Every sample event in events/ run end to end by the local invoke script (`npm run invoke`), the
 * way an operator runs them: a fresh process per event, the built bundle, moto, and a real target
 * behind each secret. The events fix only names and tokens; the test creates each secret under the
 * event's name (no other test file uses these names) with a value pointing at its local target, and
 * stages the event's token with RotateSecret's ClientRequestToken, as the events' README says.
 */
type Value = Record<string, unknown>;

const RotationEventSchema = z.object({
  SecretId: z.string(),
  ClientRequestToken: z.string(),
  Step: z.string(),
});
const RevokeEventSchema = z.object({ Action: z.literal('revokePrevious'), SecretId: z.string() });
const EmergencyEventSchema = z.object({
  secretId: z.string(),
  reason: z.string(),
  revokePrevious: z.boolean(),
});

const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
const ROTATION_FUNCTIONS = ['postgres', 'redis', 'zoho-oauth', 'webhook-bearer', 'mcp-token'] as const;
type RotationFunction = (typeof ROTATION_FUNCTIONS)[number];

const eventPath = (fn: string, name: string) => `events/${fn}/${name}.json`;
const readEvent = (fn: string, name: string): unknown =>
  JSON.parse(readFileSync(eventPath(fn, name), 'utf8'));
const rotationEvent = (fn: string, step: string) => RotationEventSchema.parse(readEvent(fn, step));

const admin = new SecretsAdmin();
const driver = new RotationDriver();
const TAG_VALUE = `sample-events-${randomUUID().slice(0, 8)}`;

let cluster: PostgresCluster;
const targets = new Map<RotationFunction, RotationTarget>();
let functions: RotationFunctions;
/** Everything the invoke script printed, and every value any version held: the no-leak check. */
const printed: string[] = [];
const seen: Value[] = [];

beforeAll(async () => {
  cluster = await startPostgres();
  const secretName = (fn: RotationFunction) => rotationEvent(fn, 'createSecret').SecretId;
  const started = await startLocalTargets(cluster, admin, {
    only: ['postgres-single-user', 'redis', 'zoho', 'webhook', 'mcp'],
    names: {
      'postgres-single-user': { secretName: secretName('postgres') },
      redis: { secretName: secretName('redis') },
      zoho: { secretName: secretName('zoho-oauth') },
      webhook: { secretName: secretName('webhook-bearer') },
      mcp: { secretName: secretName('mcp-token') },
    },
  });
  for (const target of started) {
    targets.set(target.functionName as RotationFunction, target);
    await admin.sm.send(
      new TagResourceCommand({
        SecretId: target.secretId,
        Tags: [{ Key: 'rotation-suite', Value: TAG_VALUE }],
      }),
    );
  }
  // The rotation functions under their deployed names: emergency-rotate's RotateSecret and revoke reach them.
  functions = await startRotationFunctions(started);
});

afterAll(async () => {
  await functions?.stop();
  await Promise.all([...targets.values()].map((t) => t.stop()));
  await cluster?.stop();
});

function targetOf(fn: RotationFunction): RotationTarget {
  const target = targets.get(fn);
  if (!target) throw new Error(`no target for ${fn}`);
  return target;
}

async function valueAt(secretId: string, stage: string): Promise<Value> {
  const value = await admin.valueAt(secretId, stage);
  if (!value) throw new Error(`${secretId} has no ${stage} value`);
  seen.push(value);
  return value;
}

/** `npm run invoke -- <fn> <event.json> --env K=V...`; returns the parsed result after checking the contract. */
async function invoke(fn: string, event: string, env: Record<string, string> = {}): Promise<Value> {
  const envArgs = Object.entries(env).flatMap(([key, value]) => ['--env', `${key}=${value}`]);
  const run: ScriptRun = await runScript('invoke.ts', [fn, event, ...envArgs]);
  printed.push(run.stdout, run.stderr);
  expect({ code: run.code, stdout: run.stdout }).toMatchObject({ code: 0 });
  // The result alone on stdout, the function's structured log lines on stderr.
  const result = JSON.parse(run.stdout) as Value;
  expect(jsonLinesOf(run.stderr).some((line) => line.audit !== undefined)).toBe(true);
  return result;
}

describe('events/', () => {
  it('has the four steps and a revokePrevious event for every rotation function, on one secret and token each', () => {
    for (const fn of ROTATION_FUNCTIONS) {
      expect(readdirSync(`events/${fn}`).sort()).toEqual(
        [...STEPS, 'revokePrevious'].map((n) => `${n}.json`).sort(),
      );
      const events = STEPS.map((step) => rotationEvent(fn, step));
      expect(events.map((e) => e.Step)).toEqual([...STEPS]);
      const [first] = events;
      for (const event of events)
        expect(event).toMatchObject({
          SecretId: first?.SecretId,
          ClientRequestToken: first?.ClientRequestToken,
        });
      expect(RevokeEventSchema.parse(readEvent(fn, 'revokePrevious')).SecretId).toBe(first?.SecretId);
      expect(first?.SecretId).toMatch(/^sergas\/[a-z]+\/dev\/[a-z_]+$/);
    }
    expect(readdirSync('events').sort()).toEqual(
      [...ROTATION_FUNCTIONS, 'emergency-rotate', 'rotation-monitor'].sort(),
    );
  });

  it("shapes the monitor's scheduled event as EventBridge sends it: detail is an object, not a string", () => {
    const event = readEvent('rotation-monitor', 'scheduled') as Record<string, unknown>;
    expect(event).toMatchObject({ 'detail-type': 'Scheduled Event', version: '0' });
    expect(event.detail).toEqual({});
    expect(Date.parse(String(event.time))).not.toBeNaN();
  });

  it('names secrets that no other test file creates (they all share one moto server per run)', () => {
    const names = ROTATION_FUNCTIONS.map((fn) => rotationEvent(fn, 'createSecret').SecretId);
    const others = readdirSync('test', { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts') && !file.endsWith('sample-events.test.ts'))
      .map((file) => readFileSync(`test/${file}`, 'utf8'));
    for (const name of names) expect(others.filter((text) => text.includes(name))).toEqual([]);
  });
});

describe('npm run invoke with the sample events', () => {
  it.concurrent.each(ROTATION_FUNCTIONS)(
    "%s: the four step events rotate the secret to the events' token, then revokePrevious retires the old credential",
    async (fn) => {
      const target = targetOf(fn);
      const { SecretId: secretName, ClientRequestToken: token } = rotationEvent(fn, 'createSecret');
      const extraEnv = target.env;

      // What `aws secretsmanager rotate-secret --client-request-token <token>` does: stage the token.
      const rotation = await admin.sm.send(
        new RotateSecretCommand({
          SecretId: secretName,
          ClientRequestToken: token,
          RotationLambdaARN: await driver.rotationLambdaArn(deployedName(fn)),
          RotationRules: { AutomaticallyAfterDays: 30 },
        }),
      );
      expect(rotation.VersionId).toBe(token);
      const before = await valueAt(target.secretId, 'AWSCURRENT');

      for (const step of STEPS) {
        const result = await invoke(fn, eventPath(fn, step), extraEnv);
        expect(result).toMatchObject({ secretName, step, version: token, outcome: 'succeeded' });
      }
      await driver.clearPendingLabel(target.secretId, token); // the service's part after finishSecret

      expect(await admin.versionAt(target.secretId, 'AWSCURRENT')).toBe(token);
      const current = await valueAt(target.secretId, 'AWSCURRENT');
      expect(await admin.valueAt(target.secretId, 'AWSPREVIOUS')).toEqual(before);
      expect(await target.accepts(current)).toBe(true);

      const revoke = await invoke(fn, eventPath(fn, 'revokePrevious'), extraEnv);
      expect(revoke).toMatchObject({ secretName, step: 'revokePrevious', outcome: 'succeeded' });
      await target.settle();
      expect(await target.accepts(before)).toBe(false);
      expect(await target.accepts(current)).toBe(true);
    },
  );
});

describe('npm run invoke with the operations events', () => {
  it('emergency-rotate/emergency.json rotates its secret now and revokes the previous credential', async () => {
    const request = EmergencyEventSchema.parse(readEvent('emergency-rotate', 'emergency'));
    const target = [...targets.values()].find(
      (t) => t.secretId.includes(`:secret:${request.secretId}-`) || t.secretId === request.secretId,
    );
    if (!target) throw new Error(`no sample secret is named ${request.secretId}`);
    const before = await valueAt(target.secretId, 'AWSCURRENT');
    const service = await startRotationService([target.secretId], functions.invoker(target), { pollMs: 50 });
    let report: Value;
    try {
      report = await invoke('emergency-rotate', eventPath('emergency-rotate', 'emergency'), {
        AWS_ENDPOINT_URL_LAMBDA: functions.api.endpoint,
        EMERGENCY_WAIT_SECONDS: '20',
        EMERGENCY_POLL_MS: '50',
      });
    } finally {
      await service.stop();
    }
    expect(service.failures).toEqual([]);
    expect(report).toMatchObject({
      secretName: request.secretId,
      outcome: 'succeeded',
      reason: request.reason,
      revokedPrevious: request.revokePrevious,
    });
    const current = await valueAt(target.secretId, 'AWSCURRENT');
    expect(await admin.versionAt(target.secretId, 'AWSCURRENT')).toBe(report.version);
    expect(await target.accepts(current)).toBe(true);
    expect(await target.accepts(before)).toBe(false);
  });

  it('rotation-monitor/scheduled.json (through npm itself) checks the sample secrets and finds them healthy', async () => {
    const run = await runNpmScript('invoke', [
      'rotation-monitor',
      eventPath('rotation-monitor', 'scheduled'),
      '--env',
      `MONITOR_TAG_VALUE=${TAG_VALUE}`,
    ]);
    printed.push(run.stdout, run.stderr);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as { checked: number; secrets: { name: string }[] } & Value;
    expect(summary).toMatchObject({
      checked: ROTATION_FUNCTIONS.length,
      overdue: [],
      stuck: [],
      disabled: [],
    });
    expect(summary.secrets.map((s) => s.name).sort()).toEqual(
      ROTATION_FUNCTIONS.map((fn) => rotationEvent(fn, 'createSecret').SecretId).sort(),
    );
  });

  it('reports a failed invocation as { errorType, errorMessage } on stdout with exit code 1', async () => {
    const run = await runScript('invoke.ts', ['postgres', eventPath('rotation-monitor', 'scheduled')]);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({
      errorType: 'InvalidEventError',
      errorMessage: expect.stringContaining('SecretId'),
    });
  });

  it('printed no credential of any version, on stdout or stderr', () => {
    const credentials = credentialsIn(seen);
    expect(credentials.length).toBeGreaterThanOrEqual(ROTATION_FUNCTIONS.length * 2);
    const output = printed.join('\n');
    expect(credentials.filter((credential) => output.includes(credential))).toEqual([]);
  });
});
