import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { actionsOf, parseTemplate, statementsIn } from '../../../dev/lib/cfn-yaml';
import { KINDS, ZOHO_REFRESH_OUTPUTS } from '../../../ops/wire/kinds';
import { defaultStackName } from '../../../ops/wire/stack';
import { SecretRole, SuiteTag } from '../../../shared/fleet/tags';

/**
 * The fleet model of template.yaml (docs/operations.md): one stack per environment, any number of
 * secrets wired afterwards. Grants scale by attribute (AllowRotationLambdaArn, the role tag) within
 * the stack's {org}/*\/{env}/* prefix; the outputs carry what npm run wire needs; the dashboard
 * shows the metrics the code really publishes; every scanner suppression says why; samconfig.toml
 * deploys each environment as documented.
 */
const text = readFileSync('template.yaml', 'utf8');
const template = parseTemplate(text) as ReturnType<typeof parseTemplate> & {
  Metadata?: Record<string, unknown>;
  Outputs: Record<string, { Value: unknown; Description?: string }>;
};
const resources = Object.entries(template.Resources);
const ofType = (type: string) => resources.filter(([, r]) => r.Type === type);
const functions = ofType('AWS::Serverless::Function');
const PREFIX = {
  'Fn::Sub':
    'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${Org}/*/${Environment}/*',
};

const fn = (id: string) => template.Resources[id] ?? { Type: '' };

describe('template.yaml, fleet model', () => {
  it('grants the master, admin and client secrets by role tag, read-only, within the prefix, each to its one function', () => {
    const grants = functions.flatMap(([id, f]) =>
      statementsIn(f.Properties?.Policies)
        .filter(
          (s) => s.Condition?.StringEquals?.[`secretsmanager:ResourceTag/${SuiteTag.Role}`] !== undefined,
        )
        .map((s) => ({ id, s })),
    );
    const byRole = Object.fromEntries(
      grants.map(({ id, s }) => [
        s.Condition?.StringEquals?.[`secretsmanager:ResourceTag/${SuiteTag.Role}`],
        id,
      ]),
    );
    expect(byRole).toEqual({
      [SecretRole.PostgresMaster]: 'PostgresRotationFunction',
      [SecretRole.RedisAdmin]: 'RedisRotationFunction',
      [SecretRole.ZohoClient]: 'ZohoOAuthRotationFunction',
    });
    for (const { s } of grants) {
      expect(actionsOf(s)).toEqual(['secretsmanager:GetSecretValue']);
      expect(s.Resource).toEqual(PREFIX);
    }
    // wire tags each reference with the role its own kind's function is granted.
    for (const spec of Object.values(KINDS))
      for (const reference of spec.references) {
        const output = template.Outputs[spec.functionOutput]?.Value as { 'Fn::GetAtt': string[] };
        expect(byRole[reference.role]).toBe(output['Fn::GetAtt'][0]);
      }
  });

  it('scopes every secret permission to the prefix (ListSecrets has no resource level)', () => {
    const all = resources.flatMap(([, r]) => statementsIn(r.Properties));
    const onSecrets = all.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
    expect(onSecrets.length).toBeGreaterThan(8);
    for (const s of onSecrets)
      if (actionsOf(s).includes('secretsmanager:ListSecrets')) expect(s.Resource).toBe('*');
      else expect(s.Resource, s.Sid).toEqual(PREFIX);
  });

  it('finds the secrets by the tag wire writes, and refreshes Zoho secrets only through their own function', () => {
    const monitor = fn('RotationMonitorFunction').Properties?.Environment as {
      Variables: Record<string, unknown>;
    };
    expect(monitor.Variables.MONITOR_TAG_KEY).toBe(SuiteTag.Suite);
    expect(monitor.Variables.MONITOR_TAG_VALUE).toEqual({ 'Fn::Sub': '${Org}-${Environment}' });

    const role = fn('ZohoRefreshSchedulerRole').Properties ?? {};
    const [trust] = statementsIn(role.AssumeRolePolicyDocument);
    expect(trust?.Condition?.ArnEquals?.['aws:SourceArn']).toEqual({
      'Fn::GetAtt': ['ZohoRefreshScheduleGroup', 'Arn'],
    });
    const rotate = statementsIn(role.Policies).find((s) =>
      actionsOf(s).includes('secretsmanager:RotateSecret'),
    );
    expect(rotate?.Resource).toEqual(PREFIX);
    expect(rotate?.Condition?.StringEquals?.['secretsmanager:resource/AllowRotationLambdaArn']).toEqual({
      'Fn::GetAtt': ['ZohoOAuthRotationFunction', 'Arn'],
    });
  });

  it("outputs every function's name and ARN, the topic, the dashboard URL and what wire reads", () => {
    const outputs = template.Outputs;
    for (const [id] of functions) {
      expect(outputs[`${id}Name`]?.Value, `${id}Name`).toEqual({ Ref: id });
      expect(outputs[`${id}Arn`]?.Value, `${id}Arn`).toEqual({ 'Fn::GetAtt': [id, 'Arn'] });
    }
    expect(outputs.AlertTopicArn?.Value).toEqual({ Ref: 'AlertTopic' });
    expect(JSON.stringify(outputs.DashboardUrl?.Value)).toContain('#dashboards:name=${RotationDashboard}');
    const wireReads = [
      ...Object.values(KINDS).map((k) => k.functionOutput),
      ...Object.values(ZOHO_REFRESH_OUTPUTS),
    ];
    for (const key of wireReads) expect(outputs, key).toHaveProperty(key);
  });

  describe('dashboard', () => {
    const properties = fn('RotationDashboard').Properties ?? {};
    const bodyTemplate = (properties.DashboardBody as { 'Fn::Sub': string })['Fn::Sub'];
    // What CloudFormation substitutes: parameters, pseudo parameters, resources and their attributes.
    const body = JSON.parse(bodyTemplate.replace(/\$\{([^}]+)\}/g, (_, name: string) => `sub:${name}`)) as {
      widgets: { type: string; properties: Record<string, unknown> }[];
    };
    const metricsSource = readFileSync('shared/observability/metrics.ts', 'utf8');
    const monitorSource = readFileSync('functions/rotation-monitor/monitor.ts', 'utf8');
    const stepMetrics = [...metricsSource.matchAll(/: '(Rotation\w+)'/g)].map((m) => m[1]);

    interface NamedMetric {
      namespace: string | undefined;
      name: string;
      dims: string[];
      service: string | undefined;
    }
    /** Every metric a widget names: [namespace, name, ...dims] arrays and SEARCH expressions. */
    const named = body.widgets.flatMap((widget) =>
      ((widget.properties.metrics as unknown[][] | undefined) ?? []).flatMap((line): NamedMetric[] => {
        const [first] = line;
        if (typeof first === 'string')
          return [
            {
              namespace: first,
              name: String(line[1]),
              dims: line.slice(2).filter((_, i) => i % 2 === 0) as string[],
              service: line[line.indexOf('service') + 1] as string | undefined,
            },
          ];
        const expression = String((first as { expression?: string }).expression);
        const match = /SEARCH\('\{(\w+),([\w,]+)\} MetricName="(\w+)"'/.exec(expression);
        expect(match, expression).not.toBeNull();
        return [
          {
            namespace: match?.[1],
            name: match?.[3] ?? '',
            dims: (match?.[2] ?? '').split(','),
            service: undefined,
          },
        ];
      }),
    );

    it('is valid JSON once substituted, and names only substitutions the template has', () => {
      expect(body.widgets.length).toBeGreaterThan(5);
      for (const [, name] of bodyTemplate.matchAll(/\$\{([^}.]+)(?:\.Arn)?\}/g))
        expect(
          name?.startsWith('AWS::') ||
            name === 'Org' ||
            name === 'Environment' ||
            String(name) in template.Resources,
          name,
        ).toBe(true);
    });

    it('shows the steps that succeeded and failed per kind and step, and their durations, as the core publishes them', () => {
      expect(stepMetrics.sort()).toEqual([
        'RotationStepDuration',
        'RotationStepFailed',
        'RotationStepSucceeded',
      ]);
      for (const name of stepMetrics) {
        const line = named.find((m) => m.name === name);
        expect(line, name).toBeDefined();
        expect(line?.namespace).toBe('SecretRotation');
        // recordStep's dimensions, plus Powertools' service.
        expect(line?.dims.sort()).toEqual(['Kind', 'Step', 'service']);
      }
      expect(metricsSource).toContain('addDimensions({ Kind: kind, Step: step })');
    });

    it("shows the monitor's overdue and stuck figures, suite-wide and per secret, under the names it publishes", () => {
      for (const name of [
        'OverdueSecrets',
        'StuckSecrets',
        'DisabledSecrets',
        'MonitoredSecrets',
        'RotationOverdue',
        'RotationStuck',
      ])
        expect(
          named.map((m) => m.name),
          name,
        ).toContain(name);
      for (const m of named.filter(
        (m) => m.namespace === 'SecretRotation' && !stepMetrics.includes(m.name),
      )) {
        expect(monitorSource, `${m.name} is published by the monitor`).toContain(`${m.name}: `);
        if (m.name.startsWith('Rotation') || m.name === 'HoursSinceRotation')
          expect(m.dims.sort()).toEqual(['SecretName', 'service']);
        else expect(m.dims).toEqual(['service']);
        if (m.service) expect(m.service).toBe('rotation-monitor');
      }
    });

    it("shows every alarm's state and every function's errors", () => {
      const alarmWidget = body.widgets.find((w) => w.type === 'alarm');
      expect((alarmWidget?.properties.alarms as string[]).sort()).toEqual(
        ofType('AWS::CloudWatch::Alarm')
          .map(([id]) => `sub:${id}.Arn`)
          .sort(),
      );
      const errors = named.filter((m) => m.namespace === 'AWS/Lambda').map((m) => m.name);
      expect(errors).toHaveLength(functions.length);
    });
  });

  describe('scanners', () => {
    it('fixes what is real: a log-group key parameter, a cap on emergency-rotate, a tracing switch', () => {
      for (const [id, group] of ofType('AWS::Logs::LogGroup'))
        expect(group.Properties?.KmsKeyId, id).toEqual({
          'Fn::If': ['HasLogsKmsKey', { Ref: 'LogsKmsKeyArn' }, { Ref: 'AWS::NoValue' }],
        });
      expect(fn('EmergencyRotateFunction').Properties?.ReservedConcurrentExecutions).toEqual({
        Ref: 'EmergencyRotateConcurrency',
      });
      expect(template.Globals?.Function?.Tracing).toEqual({ Ref: 'Tracing' });
      expect((template.Parameters?.Tracing as { AllowedValues: string[] }).AllowedValues).toEqual([
        'Active',
        'PassThrough',
      ]);
    });

    it('suppresses the rest with the reason beside each', () => {
      const skips = resources.flatMap(([id, r]) =>
        ((r.Metadata?.checkov as { skip?: { id: string; comment?: string }[] } | undefined)?.skip ?? []).map(
          (skip) => ({ resource: id, ...skip }),
        ),
      );
      expect(new Set(skips.map((s) => s.id))).toEqual(
        new Set(['CKV_AWS_115', 'CKV_AWS_116', 'CKV_AWS_117', 'CKV_AWS_158', 'CKV_AWS_173']),
      );
      for (const skip of skips)
        expect(skip.comment?.length ?? 0, `${skip.id} on ${skip.resource}`).toBeGreaterThan(40);
      // The cap is real on emergency-rotate: no suppression of 115 there.
      expect(skips.filter((s) => s.id === 'CKV_AWS_115').map((s) => s.id)).not.toContain(
        'EmergencyRotateFunction',
      );

      const ignored = (template.Metadata?.['cfn-lint'] as { config: { ignore_checks: string[] } }).config
        .ignore_checks;
      expect(ignored.sort()).toEqual(['ES7000', 'WS1000', 'WS1004']);
      for (const rule of ignored) {
        // A YAML comment naming the rule, with its reason, right above it.
        const above = new RegExp(`# ${rule} \\([^)]+\\):[^\\n]+\\n(?:\\s+#[^\\n]*\\n)*\\s+- ${rule}\\n`);
        expect(text, rule).toMatch(above);
      }
    });

    it('keeps cfn-lint clean', () => {
      const run = spawnSync('cfn-lint', ['template.yaml'], { encoding: 'utf8' });
      expect(run.error, 'cfn-lint is needed (pip install cfn-lint)').toBeUndefined();
      expect(run.stdout + run.stderr).toBe('');
      expect(run.status).toBe(0);
    });
  });

  it('is ready for the Serverless Application Repository: metadata, license, semantic version', () => {
    const sar = template.Metadata?.['AWS::ServerlessRepo::Application'] as Record<string, unknown>;
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string; license: string };
    const consumer = JSON.parse(readFileSync('packages/consumer/package.json', 'utf8')) as {
      license: string;
    };
    expect(sar).toMatchObject({
      Name: expect.any(String),
      Author: expect.any(String),
      SpdxLicenseId: pkg.license,
    });
    expect(consumer.license).toBe(pkg.license);
    expect(sar.SemanticVersion).toBe(pkg.version);
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+$/);
    for (const file of [sar.LicenseUrl, sar.ReadmeUrl])
      expect(existsSync(String(file)), String(file)).toBe(true);
    expect(readFileSync('LICENSE', 'utf8')).toMatch(/^MIT No Attribution/);
  });
});

describe('samconfig.toml', () => {
  const config = parseToml(readFileSync('samconfig.toml', 'utf8')) as Record<
    string,
    { deploy?: { parameters?: Record<string, unknown> }; build?: { parameters?: Record<string, unknown> } }
  >;

  it('keeps the build settings the Makefile build relies on', () => {
    expect(config.default?.build?.parameters).toMatchObject({ build_in_source: true, parallel: true });
  });

  it.each(['dev', 'staging', 'prod'])('deploys %s as its own stack, named as wire looks it up', (env) => {
    const deploy = config[env]?.deploy?.parameters ?? {};
    expect(deploy).toMatchObject({
      stack_name: defaultStackName('sergas', env),
      resolve_s3: true,
      capabilities: 'CAPABILITY_IAM',
      confirm_changeset: env === 'prod',
    });
    const overrides = Object.fromEntries(
      [...String(deploy.parameter_overrides).matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    expect(overrides).toMatchObject({ Org: 'sergas', Environment: env });
    for (const [name, value] of Object.entries(overrides)) {
      const parameter = template.Parameters?.[name] as { AllowedValues?: unknown[] } | undefined;
      expect(parameter, `template.yaml has no parameter ${name}`).toBeDefined();
      if (parameter?.AllowedValues) expect(parameter.AllowedValues.map(String), name).toContain(value);
    }
  });
});
