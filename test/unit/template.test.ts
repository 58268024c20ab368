import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type CfnResource, parseTemplate } from '../../scripts/lib/cfn-yaml';

/**
 * Invariants of template.yaml that cfn-lint cannot know: every function is built from an entry point
 * that exists and that npm run build also builds, every rotation function can be invoked by Secrets
 * Manager and has its schedule, and no policy grants a wildcard action.
 */
const template = parseTemplate(readFileSync('template.yaml', 'utf8'));
const resources = Object.entries(template.Resources);
const ofType = (type: string) => resources.filter(([, r]) => r.Type === type);
const functions = ofType('AWS::Serverless::Function');

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** Every IAM statement inside a value, whatever intrinsics wrap it. */
function statementsIn(value: unknown): Statement[] {
  if (Array.isArray(value)) return value.flatMap(statementsIn);
  if (value && typeof value === 'object') {
    if ('Effect' in value && 'Action' in value) return [value as Statement];
    return Object.values(value).flatMap(statementsIn);
  }
  return [];
}

const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const entryOf = (fn: CfnResource) =>
  ((fn.Metadata?.BuildProperties as { EntryPoints?: string[] } | undefined)?.EntryPoints ?? [])[0] ?? '';
const folderOf = (fn: CfnResource) => entryOf(fn).split('/')[1] ?? '';
const rotationFunctions = functions.filter(([, fn]) =>
  statementsIn(fn.Properties?.Policies).some((s) => actionsOf(s).includes('secretsmanager:PutSecretValue')),
);

describe('template.yaml', () => {
  it('runs every function on the Node major the tests run on, on arm64', () => {
    expect(template.Globals?.Function?.Runtime).toBe(`nodejs${process.versions.node.split('.')[0]}.x`);
    expect(template.Globals?.Function?.Architectures).toEqual(['arm64']);
    for (const [, fn] of functions)
      expect(fn.Properties?.Runtime ?? template.Globals?.Function?.Runtime).toMatch(/^nodejs\d+\.x$/);
  });

  it('has one function per functions/ folder, each built by esbuild from the entry point npm run build uses', () => {
    const folders = readdirSync('functions').filter((name) => existsSync(`functions/${name}/index.ts`));
    expect(functions.map(([, fn]) => folderOf(fn)).sort()).toEqual(folders.sort());
    for (const [, fn] of functions) {
      expect(fn.Metadata?.BuildMethod).toBe('esbuild');
      expect(existsSync(entryOf(fn))).toBe(true);
      expect(existsSync(`dist/${folderOf(fn)}/index.mjs`)).toBe(true);
      const props = fn.Metadata?.BuildProperties as Record<string, unknown>;
      expect(props).toMatchObject({ Format: 'esm', OutExtension: ['.js=.mjs'], Minify: true });
    }
    expect(template.Globals?.Function?.Handler).toBe('index.handler');
  });

  it('lets Secrets Manager invoke every rotation function, scoped to this account', () => {
    expect(rotationFunctions.map(([id]) => id).sort()).toEqual([
      'McpTokenRotationFunction',
      'PostgresRotationFunction',
      'RedisRotationFunction',
      'WebhookBearerRotationFunction',
      'ZohoOAuthRotationFunction',
    ]);
    const permissions = ofType('AWS::Lambda::Permission').map(([, p]) => p.Properties ?? {});
    for (const [id] of rotationFunctions) {
      expect(permissions).toContainEqual({
        FunctionName: { 'Fn::GetAtt': [id, 'Arn'] },
        Action: 'lambda:InvokeFunction',
        Principal: 'secretsmanager.amazonaws.com',
        SourceAccount: { Ref: 'AWS::AccountId' },
      });
    }
  });

  it('schedules rotations as the strategy says: 90 days for passwords, 30 for tokens, 45 minutes for Zoho', () => {
    const schedules = Object.fromEntries(
      ofType('AWS::SecretsManager::RotationSchedule').map(([, s]) => {
        const lambda = (s.Properties?.RotationLambdaARN as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
        return [lambda, (s.Properties?.RotationRules as { ScheduleExpression: string }).ScheduleExpression];
      }),
    );
    expect(schedules).toEqual({
      PostgresRotationFunction: 'rate(90 days)',
      RedisRotationFunction: 'rate(90 days)',
      WebhookBearerRotationFunction: 'rate(30 days)',
      McpTokenRotationFunction: 'rate(30 days)',
      ZohoOAuthRotationFunction: 'rate(4 hours)',
    });
    for (const [, s] of ofType('AWS::SecretsManager::RotationSchedule')) {
      expect((s.Properties?.RotationRules as { Duration?: string }).Duration).toMatch(/^\d+h$/);
    }
    const [[, zoho] = ['', { Type: '' }]] = ofType('AWS::Scheduler::Schedule');
    expect(zoho.Properties).toMatchObject({
      ScheduleExpression: 'rate(45 minutes)',
      Target: { Arn: 'arn:aws:scheduler:::aws-sdk:secretsmanager:rotateSecret' },
    });
  });

  it('confines each rotation function to the secrets wired to it (AllowRotationLambdaArn is its own ARN)', () => {
    for (const [, fn] of rotationFunctions) {
      const name = (fn.Properties?.FunctionName as { 'Fn::Sub': string })['Fn::Sub'];
      const writer = statementsIn(fn.Properties?.Policies).find((s) =>
        actionsOf(s).includes('secretsmanager:PutSecretValue'),
      );
      const allowed = writer?.Condition?.StringEquals?.['secretsmanager:resource/AllowRotationLambdaArn'];
      expect(allowed).toEqual({
        'Fn::Sub': `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${name}`,
      });
    }
  });

  it('grants no wildcard action, and a wildcard resource only where the API has no resource-level permission', () => {
    const statements = resources.flatMap(([, r]) => statementsIn(r.Properties));
    expect(statements.length).toBeGreaterThan(10);
    for (const statement of statements) {
      for (const action of actionsOf(statement)) expect(action).not.toContain('*');
      if (statement.Resource === '*') expect(actionsOf(statement)).toEqual(['secretsmanager:ListSecrets']);
    }
  });

  it('alarms on every function failing, and on the monitor finding overdue or stuck rotations', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties ?? {});
    for (const [id] of functions.filter(([id]) => id !== 'RotationMonitorFunction')) {
      expect(alarms.some((a) => JSON.stringify(a.Dimensions).includes(`"Ref":"${id}"`))).toBe(true);
    }
    expect(alarms.map((a) => a.MetricName)).toEqual(
      expect.arrayContaining(['OverdueSecrets', 'StuckSecrets']),
    );
    for (const alarm of alarms) expect(alarm.AlarmActions).toEqual([{ Ref: 'AlertTopic' }]);
  });
});
