import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalLambda } from '../../../dev/aws/local-lambda';
import { runRotationInvocation } from '../../../shared/rotation/invocation';
import { RotationDriver } from '../../../dev/aws/rotation-driver';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import { startSnsListener } from '../../../dev/aws/sns-listener';
import { createTestRotator, InMemoryTarget } from '../../support/test-rotator';

/**
 * The monitor bundle against moto, with secrets made healthy, overdue, stuck and disabled. The tag
 * value is unique to this file, so secrets other test files create are not in its inventory.
 */
const admin = new SecretsAdmin();
const driver = new RotationDriver();
const TAG_VALUE = `monitor-${randomUUID().slice(0, 8)}`;
const INITIAL = { username: 'app', password: 'initial-password-Aa1!' };

let alerts: Awaited<ReturnType<typeof startSnsListener>>;
const names: Record<string, string> = {};

async function rotatedSecret(label: string, interval: string) {
  const name = admin.uniqueName('monitor', label);
  const id = await admin.create(name, INITIAL, {
    'rotation-suite': TAG_VALUE,
    'rotation-interval': interval,
  });
  const rotator = createTestRotator(new InMemoryTarget(INITIAL));
  await driver.rotate(id, (event) => runRotationInvocation(rotator, event));
  names[label] = name;
  return id;
}

beforeAll(async () => {
  alerts = await startSnsListener(`monitor-alerts-${Date.now()}`);
  await rotatedSecret('healthy', '1d');
  await rotatedSecret('overdue', '1s');
  const stuck = await rotatedSecret('stuck', '1d');
  await driver.startRotation(stuck); // AWSPENDING that nobody completes
  names.disabled = admin.uniqueName('monitor', 'disabled');
  await admin.create(names.disabled, INITIAL, { 'rotation-suite': TAG_VALUE, 'rotation-interval': '30d' });
  // Let the one-second interval (plus its half-second grace) pass.
  await new Promise((resolve) => setTimeout(resolve, 2000));
});

afterAll(async () => {
  await alerts?.stop();
});

describe('rotation-monitor', () => {
  it('flags overdue, stuck and disabled rotations, with a metric per secret and one SNS summary', async () => {
    const monitor = await LocalLambda.start('rotation-monitor', {
      env: {
        MONITOR_TAG_KEY: 'rotation-suite',
        MONITOR_TAG_VALUE: TAG_VALUE,
        // moto reports a version's CreatedDate as the time of the listing, not of RotateSecret, so
        // only a zero threshold can see a stuck rotation here; the thresholds are unit-tested.
        STUCK_AFTER_MINUTES: '0',
        ALERT_TOPIC_ARN: alerts.topicArn,
      },
    });
    try {
      const summary = (await monitor.invoke({})) as Record<string, unknown>;
      expect(summary).toMatchObject({
        checked: 4,
        overdue: [names.overdue],
        stuck: [names.stuck],
        disabled: [names.disabled],
      });

      const emf = monitor.jsonLines().filter((line) => line._aws);
      const perSecret = (name: string | undefined) => emf.find((line) => line.SecretName === name);
      expect(perSecret(names.overdue)).toMatchObject({
        RotationOverdue: 1,
        RotationStuck: 0,
        RotationDisabled: 0,
      });
      expect(perSecret(names.stuck)).toMatchObject({ RotationOverdue: 0, RotationStuck: 1 });
      expect(perSecret(names.healthy)).toMatchObject({
        RotationOverdue: 0,
        RotationStuck: 0,
        RotationDisabled: 0,
      });
      // The alarms match on the exact dimension set: suite-wide totals carry `service` only.
      const totals = emf.find((line) => 'OverdueSecrets' in line);
      expect(JSON.stringify(totals?._aws)).toContain('"Dimensions":[["service"]]');
      expect(totals).toMatchObject({
        MonitoredSecrets: 4,
        OverdueSecrets: 1,
        StuckSecrets: 1,
        DisabledSecrets: 1,
      });

      const [notice] = await alerts.waitFor(1);
      expect(notice?.Subject).toBe('Rotation monitor: 3 of 4 secrets need attention');
      const problems = (JSON.parse(notice?.Message ?? '{}') as { problems: { secretName: string }[] })
        .problems;
      expect(problems.map((p) => p.secretName).sort()).toEqual(
        [names.disabled, names.overdue, names.stuck].sort(),
      );
      expect(monitor.output()).not.toContain(INITIAL.password);
    } finally {
      await monitor.stop();
    }
  });

  it('warns (log line, metric, SNS notice) when no secret carries its tag, instead of reporting a healthy estate', async () => {
    const empty = await startSnsListener(`monitor-empty-${Date.now()}`);
    const untagged = `${TAG_VALUE}-nobody`;
    const monitor = await LocalLambda.start('rotation-monitor', {
      env: {
        MONITOR_TAG_KEY: 'rotation-suite',
        MONITOR_TAG_VALUE: untagged,
        ALERT_TOPIC_ARN: empty.topicArn,
      },
    });
    try {
      expect(await monitor.invoke({})).toMatchObject({ checked: 0, secrets: [] });
      const lines = monitor.jsonLines();
      const warning = lines.find((line) => line.level === 'WARN');
      expect(warning?.message).toBe(
        `rotation monitor found no secret tagged rotation-suite=${untagged}: nothing was checked`,
      );
      expect(lines.find((line) => line.audit)).toMatchObject({
        audit: { outcome: 'succeeded', detail: expect.stringContaining('nothing was checked') },
      });
      expect(lines.find((line) => 'MonitoredSecrets' in line)).toMatchObject({
        MonitoredSecrets: 0,
        NoSecretsFound: 1,
      });
      const [notice] = await empty.waitFor(1);
      expect(notice?.Subject).toBe(`Rotation monitor: no secret found tagged rotation-suite=${untagged}`);
      expect(JSON.parse(notice?.Message ?? '{}')).toMatchObject({ checked: 0, action: expect.any(String) });
    } finally {
      await monitor.stop();
      await empty.stop();
    }
  });
});
