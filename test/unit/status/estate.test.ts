import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  SecretsManagerClient,
  type SecretListEntry,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { auditOf } from '../../../ops/status/audit-failures';
import { readEstate } from '../../../ops/status/estate';
import { emergencyFunctionName, rotationFunctionName, rotationKinds } from '../../../ops/suite';

/**
 * The estate reader against mocked AWS answers in the shapes the real services give, for what moto
 * cannot show: schedule expressions and windows, version dates, paging, a log group the caller may
 * not read, Lambda's JSON log format.
 */
const sm = mockClient(SecretsManagerClient);
const logs = mockClient(CloudWatchLogsClient);
const stack = { org: 'sergas', env: 'prod' };
const now = new Date('2026-11-23T12:00:00Z');
const HOUR = 3_600_000;
const ago = (ms: number) => new Date(now.getTime() - ms);
const thresholds = { overdueGraceMs: 24 * HOUR, stuckAfterMs: 3 * HOUR };
const fn = (name: string) => `arn:aws:lambda:eu-west-1:123456789012:function:${name}`;

const entry = (name: string, extra: Partial<SecretListEntry>): SecretListEntry => ({
  ARN: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}-AbCdEf`,
  Name: name,
  RotationEnabled: true,
  RotationLambdaARN: fn('sergas-prod-postgres-rotation'),
  RotationRules: { ScheduleExpression: 'rate(90 days)', Duration: '4h' },
  CreatedDate: ago(400 * 24 * HOUR),
  LastRotatedDate: ago(10 * 24 * HOUR),
  NextRotationDate: new Date(now.getTime() + 80 * 24 * HOUR),
  SecretVersionsToStages: { 'v-current': ['AWSCURRENT'], 'v-previous': ['AWSPREVIOUS'] },
  ...extra,
});

const auditLine = (audit: Record<string, unknown>) =>
  JSON.stringify({ level: 'ERROR', message: 'failed', audit: { outcome: 'failed', ...audit } });

beforeEach(() => {
  sm.reset();
  logs.reset();
  logs
    .on(FilterLogEventsCommand)
    .rejects(Object.assign(new Error('no group'), { name: 'ResourceNotFoundException' }));
});

describe('readEstate', () => {
  it('reads every ListSecrets page and keeps only secrets wired to the stack, with schedule and window', async () => {
    sm.on(ListSecretsCommand, { NextToken: undefined }).resolves({
      SecretList: [
        entry('sergas/cognee/prod/postgres_password', {}),
        entry('sergas/other/prod/unrelated', { RotationLambdaARN: fn('someone-elses-function') }),
        entry('sergas/other/prod/never', { RotationLambdaARN: undefined }),
      ],
      NextToken: 'page-2',
    });
    sm.on(ListSecretsCommand, { NextToken: 'page-2' }).resolves({
      SecretList: [
        entry('sergas/zoho/prod/refresh_token', {
          RotationLambdaARN: fn('sergas-prod-zoho-oauth-rotation:live'),
          RotationRules: { ScheduleExpression: 'rate(4 hours)', Duration: '1h' },
          Tags: [{ Key: 'rotation-interval', Value: '45m' }],
          LastRotatedDate: ago(20 * 60_000),
        }),
        entry('sergas/cognee/dev/wired-across', {}),
      ],
    });
    const report = await readEstate({ stack, thresholds, now: () => now });
    expect(report.secrets.map((s) => [s.kind, s.name, s.environment, s.schedule, s.window, s.state])).toEqual(
      [
        ['postgres', 'sergas/cognee/dev/wired-across', 'dev', 'rate(90 days)', '4h', 'ok'],
        ['postgres', 'sergas/cognee/prod/postgres_password', 'prod', 'rate(90 days)', '4h', 'ok'],
        ['zoho-oauth', 'sergas/zoho/prod/refresh_token', 'prod', 'every 45m (tag)', '1h', 'ok'],
      ],
    );
    expect(sm.commandCalls(ListSecretsCommand)).toHaveLength(2);
    expect(sm.commandCalls(ListSecretVersionIdsCommand)).toHaveLength(0);
  });

  it('dates a pending version with one ListSecretVersionIds and calls an old one stuck', async () => {
    sm.on(ListSecretsCommand).resolves({
      SecretList: [
        entry('sergas/redis/prod/password', {
          RotationLambdaARN: fn('sergas-prod-redis-rotation'),
          SecretVersionsToStages: { 'v-current': ['AWSCURRENT'], 'v-pending': ['AWSPENDING'] },
        }),
      ],
    });
    sm.on(ListSecretVersionIdsCommand).resolves({
      Versions: [
        { VersionId: 'v-current', VersionStages: ['AWSCURRENT'], CreatedDate: ago(10 * 24 * HOUR) },
        { VersionId: 'v-pending', VersionStages: ['AWSPENDING'], CreatedDate: ago(5 * HOUR) },
      ],
    });
    const [secret] = (await readEstate({ stack, thresholds, now: () => now })).secrets;
    expect(secret).toMatchObject({ state: 'stuck', problems: ['a rotation has been AWSPENDING for 5 h'] });
    expect(secret?.stuckAt).toBeUndefined();
  });

  it("takes each secret's newest failed audit line from one query per function, paged, and drops superseded ones", async () => {
    const pending = 'v-pending';
    const arn = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}-AbCdEf`;
    sm.on(ListSecretsCommand).resolves({
      SecretList: [
        entry('sergas/cognee/prod/stuck', {
          SecretVersionsToStages: { 'v-current': ['AWSCURRENT'], [pending]: ['AWSPENDING'] },
        }),
        entry('sergas/cognee/prod/recovered', {}),
      ],
    });
    sm.on(ListSecretVersionIdsCommand).resolves({
      Versions: [{ VersionId: pending, VersionStages: ['AWSPENDING'], CreatedDate: ago(HOUR) }],
    });
    const group = '/aws/lambda/sergas-prod-postgres-rotation';
    logs.on(FilterLogEventsCommand, { logGroupName: group, nextToken: undefined }).resolves({
      events: [
        {
          timestamp: ago(50 * 60_000).getTime(),
          message: auditLine({
            secretArn: arn('sergas/cognee/prod/stuck'),
            step: 'createSecret',
            errorClass: 'TargetUnreachableError',
            retryable: true,
            version: pending,
          }),
        },
        // Failed, then completed: its version is AWSCURRENT now.
        {
          timestamp: ago(11 * 24 * HOUR).getTime(),
          message: auditLine({
            secretArn: arn('sergas/cognee/prod/recovered'),
            step: 'setSecret',
            errorClass: 'TargetError',
            retryable: true,
            version: 'v-current',
          }),
        },
      ],
      nextToken: 'more',
    });
    logs.on(FilterLogEventsCommand, { logGroupName: group, nextToken: 'more' }).resolves({
      events: [
        // Lambda's JSON log format wraps the Powertools line in `message`.
        {
          timestamp: ago(40 * 60_000).getTime(),
          message: JSON.stringify({
            time: ago(40 * 60_000).toISOString(),
            type: 'platform.log',
            message: auditLine({
              secretArn: arn('sergas/cognee/prod/stuck'),
              step: 'setSecret',
              errorClass: 'CredentialRejectedError',
              retryable: false,
              version: pending,
              action: 'Put the password back.',
            }),
          }),
        },
        {
          timestamp: ago(30 * 60_000).getTime(),
          message: JSON.stringify({
            level: 'INFO',
            audit: { outcome: 'succeeded', secretArn: arn('sergas/cognee/prod/stuck') },
          }),
        },
      ],
    });
    const report = await readEstate({ stack, thresholds, now: () => now, auditSince: ago(30 * 24 * HOUR) });
    const byName = Object.fromEntries(report.secrets.map((s) => [s.name, s]));
    expect(byName['sergas/cognee/prod/stuck']).toMatchObject({
      state: 'stuck',
      stuckAt: 'setSecret',
      lastFailure: {
        step: 'setSecret',
        errorClass: 'CredentialRejectedError',
        action: 'Put the password back.',
        retryable: false,
      },
    });
    expect(byName['sergas/cognee/prod/recovered']).toMatchObject({ state: 'ok' });
    expect(byName['sergas/cognee/prod/recovered']?.lastFailure).toBeUndefined();
    const queried = logs.commandCalls(FilterLogEventsCommand).map((call) => call.args[0].input);
    expect(queried.filter((input) => input.logGroupName === group)).toHaveLength(2);
    expect(queried[0]).toMatchObject({
      filterPattern: '{ $.audit.outcome = "failed" }',
      startTime: ago(30 * 24 * HOUR).getTime(),
    });
    // One query per function of the stack (the five rotation functions and emergency-rotate), none per secret.
    expect(new Set(queried.map((input) => input.logGroupName)).size).toBe(6);
  });

  it('warns, and still lists, when a log group cannot be read', async () => {
    sm.on(ListSecretsCommand).resolves({ SecretList: [entry('sergas/cognee/prod/postgres_password', {})] });
    logs.on(FilterLogEventsCommand, { logGroupName: '/aws/lambda/sergas-prod-postgres-rotation' }).rejects(
      Object.assign(new Error('not authorized to perform logs:FilterLogEvents'), {
        name: 'AccessDeniedException',
      }),
    );
    const report = await readEstate({ stack, thresholds, now: () => now, auditSince: ago(HOUR) });
    expect(report.secrets).toHaveLength(1);
    expect(report.warnings).toEqual([
      expect.stringMatching(
        /^could not read audit lines from \/aws\/lambda\/sergas-prod-postgres-rotation \(AccessDeniedException/,
      ),
    ]);
  });
});

describe('auditOf', () => {
  it('finds the audit object in a Powertools line, a text-prefixed line and a JSON-format wrapper', () => {
    const line = auditLine({ step: 'testSecret' });
    expect(auditOf(line)?.step).toBe('testSecret');
    expect(auditOf(`2026-11-23T12:00:00.000Z\tabc-123\tERROR\t${line}`)?.step).toBe('testSecret');
    expect(auditOf(JSON.stringify({ message: line }))?.step).toBe('testSecret');
    expect(auditOf('START RequestId: abc')).toBeUndefined();
    expect(auditOf('{ not json')).toBeUndefined();
  });
});

describe('the suite functions', () => {
  it('are named as template.yaml deploys them: one rotation function per kind, and emergency-rotate', () => {
    const template = readFileSync('template.yaml', 'utf8');
    expect(rotationKinds()).toEqual(['mcp-token', 'postgres', 'redis', 'webhook-bearer', 'zoho-oauth']);
    for (const kind of rotationKinds()) {
      expect(rotationFunctionName({ org: '${Org}', env: '${Environment}' }, kind)).toSatisfy((name: string) =>
        template.includes(`FunctionName: !Sub '${name}'`),
      );
    }
    expect(template).toContain(
      `FunctionName: !Sub '${emergencyFunctionName({ org: '${Org}', env: '${Environment}' })}'`,
    );
  });
});
