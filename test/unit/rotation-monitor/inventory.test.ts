import {
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  SecretsManagerClient,
  type SecretListEntry,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { assess } from '../../../functions/rotation-monitor/assess';
import { listSuiteSecrets, mayBeStuck } from '../../../functions/rotation-monitor/inventory';
import { noDeadline } from '../../../shared/net/deadline';

/**
 * The monitor's inventory of a fleet: ListSecrets pages, and a per-secret call only for a pending
 * version that may be stuck. Dates moto cannot fake (a rotation started hours ago) are mocked here.
 */
const sm = mockClient(SecretsManagerClient);
const now = new Date('2026-12-07T12:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const ago = (ms: number) => new Date(now.getTime() - ms);
const screen = { now, stuckAfterMs: 3 * HOUR };
const TAG = { tagKey: 'rotation-suite', tagValue: 'sergas-prod' };

const entry = (i: number, extra: Partial<SecretListEntry> = {}): SecretListEntry => ({
  ARN: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:sergas/c${i}/prod/token-AbCdEf`,
  Name: `sergas/c${i}/prod/token`,
  RotationEnabled: true,
  RotationRules: { AutomaticallyAfterDays: 30 },
  CreatedDate: ago(100 * 24 * HOUR),
  LastRotatedDate: ago(5 * 24 * HOUR),
  Tags: [{ Key: 'rotation-suite', Value: 'sergas-prod' }],
  SecretVersionsToStages: { [`v${i}`]: ['AWSCURRENT'] },
  ...extra,
});
const pending = (i: number, lastRotated: Date): SecretListEntry =>
  entry(i, {
    LastRotatedDate: lastRotated,
    SecretVersionsToStages: { [`v${i}`]: ['AWSCURRENT'], [`p${i}`]: ['AWSPENDING'] },
  });

/** 250 secrets in pages of 100; secret 7's rotation started 10 minutes ago, secret 201's 5 hours ago. */
function fleet(): SecretListEntry[] {
  return Array.from({ length: 250 }, (_, i) =>
    i === 7 ? pending(i, ago(10 * MINUTE)) : i === 201 ? pending(i, ago(5 * HOUR)) : entry(i),
  );
}

beforeEach(() => {
  sm.reset();
  const all = fleet();
  for (let page = 0; page < 3; page++) {
    sm.on(ListSecretsCommand, { NextToken: page === 0 ? undefined : `page-${page}` }).resolves({
      SecretList: all.slice(page * 100, page * 100 + 100),
      ...(page < 2 ? { NextToken: `page-${page + 1}` } : {}),
    });
  }
  sm.on(ListSecretVersionIdsCommand).resolves({
    Versions: [{ VersionId: 'p201', VersionStages: ['AWSPENDING'], CreatedDate: ago(5 * HOUR) }],
  });
});

describe("the monitor's inventory of a fleet", () => {
  it('reads 250 secrets in three ListSecrets pages, without secrets planned for deletion', async () => {
    const facts = await listSuiteSecrets(TAG, noDeadline(), screen);
    expect(facts).toHaveLength(250);
    const pages = sm.commandCalls(ListSecretsCommand).map((call) => call.args[0].input);
    expect(pages).toHaveLength(3);
    for (const input of pages) {
      expect(input).toMatchObject({ MaxResults: 100, IncludePlannedDeletion: false });
      expect(input.Filters).toEqual([
        { Key: 'tag-key', Values: ['rotation-suite'] },
        { Key: 'tag-value', Values: ['sergas-prod'] },
      ]);
    }
  });

  it('dates only the pending version that may be stuck, and still judges both right', async () => {
    const facts = await listSuiteSecrets(TAG, noDeadline(), screen);
    const calls = sm.commandCalls(ListSecretVersionIdsCommand);
    expect(calls.map((call) => call.args[0].input.SecretId)).toEqual([entry(201).ARN]);
    const thresholds = { ...screen, overdueGraceMs: 24 * HOUR };
    const judged = (i: number) => assess(facts[i] as (typeof facts)[number], now, thresholds);
    expect(judged(7)).toMatchObject({ state: 'rotating', stuck: false });
    expect(judged(201)).toMatchObject({
      state: 'stuck',
      problems: ['a rotation has been AWSPENDING for 5 h'],
    });
    expect(judged(0).state).toBe('ok');
  });

  it('without a screen, dates every pending version (the old behaviour, one call each)', async () => {
    await listSuiteSecrets(TAG, noDeadline());
    expect(sm.commandCalls(ListSecretVersionIdsCommand)).toHaveLength(2);
  });
});

describe('mayBeStuck', () => {
  it('is false only when the later of creation and last rotation is younger than the threshold', () => {
    expect(mayBeStuck(pending(1, ago(10 * MINUTE)), screen)).toBe(false);
    expect(mayBeStuck(pending(1, ago(4 * HOUR)), screen)).toBe(true);
    // A new secret, never rotated: its creation bounds the pending version.
    expect(mayBeStuck(entry(1, { LastRotatedDate: undefined, CreatedDate: ago(MINUTE) }), screen)).toBe(
      false,
    );
    expect(mayBeStuck(entry(1, { LastRotatedDate: undefined, CreatedDate: undefined }), screen)).toBe(true);
  });

  it('dates a version within a minute of the threshold rather than trust two clocks', () => {
    expect(mayBeStuck(pending(1, ago(3 * HOUR - 30_000)), screen)).toBe(true);
    expect(mayBeStuck(pending(1, ago(10 * MINUTE)), { now, stuckAfterMs: 0 })).toBe(true);
  });
});
