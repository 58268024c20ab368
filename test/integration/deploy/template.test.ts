import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  actionsOf,
  type CfnResource,
  type IamStatement,
  parseTemplate,
  statementsIn,
} from '../../../dev/lib/cfn-yaml';

/**
 * Invariants of template.yaml that cfn-lint cannot know: every function is built from an entry point
 * that exists and that npm run build also builds, every rotation function can be invoked by Secrets
 * Manager and has its schedule, and no policy grants a wildcard action.
 */
const template = parseTemplate(readFileSync('template.yaml', 'utf8'));
const resources = Object.entries(template.Resources);
const ofType = (type: string) => resources.filter(([, r]) => r.Type === type);
const functions = ofType('AWS::Serverless::Function');

type Statement = IamStatement;

/** The Makefile's build-<LogicalId> targets and the functions/ folder each one builds. */
const makeTargets = new Map(
  [
    ...readFileSync('Makefile', 'utf8').matchAll(
      /^build-(\w+):\n\t\$\(sam-build\) ([\w-]+) "\$\(ARTIFACTS_DIR\)"$/gm,
    ),
  ].map(([, id, folder]) => [id as string, folder as string]),
);
/** All the code of a function's built folder: index.mjs and the chunks it loads later. */
const bundleText = (folder: string) =>
  readdirSync(`dist/${folder}`, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.mjs'))
    .map((file) => readFileSync(`dist/${folder}/${file}`, 'utf8'))
    .join('\n');
const functionIdOf = (fn: CfnResource) => functions.find(([, f]) => f === fn)?.[0] ?? '';
const folderOf = (fn: CfnResource) => makeTargets.get(functionIdOf(fn)) ?? '';
const rotationFunctions = functions.filter(([, fn]) =>
  statementsIn(fn.Properties?.Policies).some((s) => actionsOf(s).includes('secretsmanager:PutSecretValue')),
);

const subOf = (value: unknown) => (value as { 'Fn::Sub'?: unknown } | undefined)?.['Fn::Sub'];
const nameOf = (fn: CfnResource) => subOf(fn.Properties?.FunctionName) as string;
const timeoutOf = (fn: CfnResource) =>
  Number(fn.Properties?.Timeout ?? template.Globals?.Function?.Timeout ?? 3);
const variablesOf = (props: Record<string, unknown> | undefined) =>
  (props?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
/** A function's environment: the Globals' variables, then its own. */
const environmentOf = (fn: CfnResource) => ({
  ...variablesOf(template.Globals?.Function),
  ...variablesOf(fn.Properties),
});
const functionById = (id: string) => {
  const found = functions.find(([fid]) => fid === id)?.[1];
  if (!found) throw new Error(`no function ${id} in template.yaml`);
  return found;
};

describe('template.yaml', () => {
  it('runs every function on the Node major the tests run on, on arm64', () => {
    expect(template.Globals?.Function?.Runtime).toBe(`nodejs${process.versions.node.split('.')[0]}.x`);
    expect(template.Globals?.Function?.Architectures).toEqual(['arm64']);
    for (const [, fn] of functions)
      expect(fn.Properties?.Runtime ?? template.Globals?.Function?.Runtime).toMatch(/^nodejs\d+\.x$/);
  });

  it('has one function per functions/ folder, each built by the Makefile target that runs npm run build for it', () => {
    const folders = readdirSync('functions').filter((name) => existsSync(`functions/${name}/index.ts`));
    expect(functions.map(([, fn]) => folderOf(fn)).sort()).toEqual(folders.sort());
    expect([...makeTargets.keys()].sort()).toEqual(functions.map(([id]) => id).sort());
    for (const [id, fn] of functions) {
      // No BuildProperties: nothing about the build is configured in the template (the other
      // Metadata key is checkov's suppressions, fleet-template.test.ts).
      expect(fn.Metadata?.BuildMethod, id).toBe('makefile');
      expect(
        Object.keys(fn.Metadata ?? {}).filter((key) => key !== 'checkov'),
        id,
      ).toEqual(['BuildMethod']);
      expect(fn.Properties?.CodeUri ?? template.Globals?.Function?.CodeUri).toBe('./');
      expect(existsSync(`dist/${folderOf(fn)}/index.mjs`)).toBe(true);
      // The target builds the function the resource deploys (a swapped pair would pass the rest).
      expect(nameOf(fn)).toMatch(
        new RegExp(`^\\$\\{Org\\}-\\$\\{Environment\\}-${folderOf(fn)}(-rotation)?$`),
      );
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

  it('deploys no secret: no per-secret parameter, rotation schedule or refresh schedule (npm run wire adds them)', () => {
    const parameters = Object.keys(template.Parameters ?? {});
    // SecretsKmsKeyArn is the key of every secret, not a secret.
    expect(parameters.filter((name) => /Secret(Arn)?$/.test(name))).toEqual([]);
    expect(JSON.stringify(template.Parameters)).not.toMatch(/secret to rotate/i);
    expect(ofType('AWS::SecretsManager::RotationSchedule')).toEqual([]);
    expect(ofType('AWS::Scheduler::Schedule')).toEqual([]);
    // The Zoho refreshes wire creates live in the stack's group.
    expect(ofType('AWS::Scheduler::ScheduleGroup').map(([id]) => id)).toEqual(['ZohoRefreshScheduleGroup']);
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

  it("lets emergency-rotate act only on secrets wired to the suite's rotation functions, and only through them", () => {
    const emergency = functionById('EmergencyRotateFunction');
    const suite = rotationFunctions.map(([, fn]) => ({
      'Fn::Sub': `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${nameOf(fn)}`,
    }));
    expect(suite).toHaveLength(5);
    const listed = environmentOf(emergency).SUITE_ROTATION_FUNCTION_ARNS as {
      'Fn::Join': [string, unknown[]];
    };
    expect(listed['Fn::Join'][0]).toBe(',');
    expect(listed['Fn::Join'][1]).toEqual(expect.arrayContaining(suite));
    expect(listed['Fn::Join'][1]).toHaveLength(suite.length);
    const onSecrets = statementsIn(emergency.Properties?.Policies).filter((s) =>
      actionsOf(s).some((action) => action.startsWith('secretsmanager:')),
    );
    expect(onSecrets.flatMap(actionsOf).sort()).toEqual([
      'secretsmanager:DescribeSecret',
      'secretsmanager:RotateSecret',
      'secretsmanager:UpdateSecretVersionStage',
    ]);
    for (const statement of onSecrets) {
      const wired = statement.Condition?.StringEquals?.['secretsmanager:resource/AllowRotationLambdaArn'];
      expect(wired).toEqual(expect.arrayContaining(suite));
      expect(wired).toHaveLength(suite.length);
      if (actionsOf(statement).includes('secretsmanager:RotateSecret')) {
        expect(statement.Condition?.StringEquals?.['secretsmanager:RotationLambdaARN']).toEqual(wired);
      }
    }
  });

  it('gives the trust opt-outs to the functions that read them, off by default', () => {
    for (const name of ['AllowCrossEnvironmentReferences', 'AllowAdminSecretWithoutHost']) {
      expect(template.Parameters?.[name]).toMatchObject({
        Default: 'false',
        AllowedValues: ['true', 'false'],
      });
    }
    for (const id of ['PostgresRotationFunction', 'RedisRotationFunction', 'ZohoOAuthRotationFunction']) {
      expect(environmentOf(functionById(id)).ALLOW_CROSS_ENVIRONMENT_REFERENCES).toEqual({
        Ref: 'AllowCrossEnvironmentReferences',
      });
    }
    for (const id of ['PostgresRotationFunction', 'RedisRotationFunction']) {
      expect(environmentOf(functionById(id)).ALLOW_ADMIN_SECRET_WITHOUT_HOST).toEqual({
        Ref: 'AllowAdminSecretWithoutHost',
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

  it('gives every function its log group, named as Lambda names it, with the retention parameter, created first', () => {
    const logGroups = ofType('AWS::Logs::LogGroup');
    for (const [id, fn] of functions) {
      const group = logGroups.find(
        ([, g]) => subOf(g.Properties?.LogGroupName) === `/aws/lambda/${nameOf(fn)}`,
      );
      expect(group, `${id} has no log group /aws/lambda/${nameOf(fn)}`).toBeDefined();
      const [groupId, { Properties }] = group as [string, CfnResource];
      expect(Properties?.RetentionInDays).toEqual({ Ref: 'LogRetentionDays' });
      // Else Lambda may create the group first (no retention) and the stack fails on the name.
      expect([fn.DependsOn].flat()).toContain(groupId);
    }
    expect(logGroups).toHaveLength(functions.length);
  });

  it('lets the Redis function describe and change only the ElastiCache/MemoryDB users listed in RedisUserArns', () => {
    const parameter = template.Parameters?.RedisUserArns as { Type?: string; Default?: string } | undefined;
    expect(parameter).toMatchObject({ Type: 'CommaDelimitedList', Default: '' });
    const userActions = [
      'elasticache:DescribeUsers',
      'elasticache:ModifyUser',
      'memorydb:DescribeUsers',
      'memorydb:UpdateUser',
    ];
    const granting = functions.flatMap(([id, fn]) =>
      statementsIn(fn.Properties?.Policies)
        .filter((s) => actionsOf(s).some((action) => /^(elasticache|memorydb):/.test(action)))
        .map((s) => ({ id, statement: s })),
    );
    expect(granting.map(({ id }) => id)).toEqual(['RedisRotationFunction']);
    const statement = granting[0]?.statement as Statement;
    expect(actionsOf(statement).sort()).toEqual([...userActions].sort());
    expect(statement.Resource).toEqual({ Ref: 'RedisUserArns' });
    // Granted only when users are listed: an empty list must not become a statement without resources.
    const policies = JSON.stringify(functionById('RedisRotationFunction').Properties?.Policies);
    expect(policies).toContain('"Fn::If":["HasRedisUsers"');
    expect(JSON.stringify(template.Conditions?.HasRedisUsers)).toContain('RedisUserArns');
  });

  it("sets only environment variables each function's bundle reads (a typo would be ignored silently)", () => {
    for (const [id, fn] of functions) {
      const bundle = bundleText(folderOf(fn));
      const unread = Object.keys(environmentOf(fn)).filter(
        (name) => !new RegExp(`\\b${name}\\b`).test(bundle),
      );
      expect(unread, `${id} sets variables its code never reads`).toEqual([]);
    }
  });

  it('gives emergency-rotate time to wait, revoke through the slowest rotation function and report before Lambda stops it', () => {
    const emergency = functionById('EmergencyRotateFunction');
    // npm run emergency invokes this name by default.
    expect(nameOf(emergency)).toBe('${Org}-${Environment}-emergency-rotate');
    const waitSeconds = Number(environmentOf(emergency).EMERGENCY_WAIT_SECONDS);
    const slowestRevoke = Math.max(...rotationFunctions.map(([, fn]) => timeoutOf(fn)));
    const reportMargin = 30; // the audit line and the SNS notice, after the revoke
    expect(waitSeconds).toBeGreaterThanOrEqual(300);
    expect(timeoutOf(emergency)).toBeGreaterThanOrEqual(waitSeconds + slowestRevoke + reportMargin);
    expect(timeoutOf(emergency)).toBeLessThanOrEqual(900);
    // RotateSecret and the revoke invoke the secret's rotation function, whichever kind it is.
    const invoke = statementsIn(emergency.Properties?.Policies).find((s) =>
      actionsOf(s).includes('lambda:InvokeFunction'),
    );
    expect(invoke?.Resource).toEqual(
      expect.arrayContaining(rotationFunctions.map(([id]) => ({ 'Fn::GetAtt': [id, 'Arn'] }))),
    );
  });

  it("alarms on the monitor's figures in the namespace and under the service it publishes them with", () => {
    const monitor = functionById('RotationMonitorFunction');
    const bundle = bundleText(folderOf(monitor));
    const environment = environmentOf(monitor);
    const monitorAlarms = ofType('AWS::CloudWatch::Alarm')
      .map(([, a]) => a.Properties ?? {})
      .filter((a) => a.Namespace !== 'AWS/Lambda');
    expect(monitorAlarms.map((a) => a.MetricName).sort()).toEqual([
      'DisabledSecrets',
      'NoSecretsFound',
      'OverdueSecrets',
      'StuckSecrets',
    ]);
    for (const alarm of monitorAlarms) {
      expect(alarm.Namespace).toBe(environment.POWERTOOLS_METRICS_NAMESPACE);
      expect(alarm.Dimensions).toEqual([{ Name: 'service', Value: environment.POWERTOOLS_SERVICE_NAME }]);
      // The monitor publishes each figure as a property of the same name (minified bundles keep keys).
      expect(
        bundle.includes(`${String(alarm.MetricName)}:`),
        `${String(alarm.MetricName)} is published`,
      ).toBe(true);
    }
  });
});
