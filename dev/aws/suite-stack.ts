import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStacksCommand,
  type Output,
} from '@aws-sdk/client-cloudformation';
import { CreateRoleCommand, GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateScheduleGroupCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { defaultStackName } from '../../ops/wire/stack';
import { parseTemplate } from '../lib/cfn-yaml';
import { RotationDriver } from './rotation-driver';

const TEMPLATE = fileURLToPath(new URL('../../template.yaml', import.meta.url));

export interface SuiteStackOptions {
  org?: string;
  env?: string;
  /** The alert topic's ARN when the caller has one already (an SNS listener's). */
  alertTopicArn?: string;
  /** More deployed parameters (RedisUserArns, ...), as --parameter-overrides would set them. */
  parameters?: Record<string, string>;
}

export interface LocalSuiteStack {
  name: string;
  outputs: Record<string, string>;
}

/**
 * What `sam deploy` leaves behind, in moto, as far as the operator tools can see it: a stand-in
 * Lambda function under every deployed function name (moto's RotateSecret needs one; it never runs
 * it), the Zoho refresh schedule group and Scheduler role, the alert topic, and a CloudFormation
 * stack named as samconfig.toml names it whose Org/Environment parameters and outputs are
 * template.yaml's own, resolved: `npm run wire` then finds the functions through DescribeStacks
 * exactly as against AWS. An output this cannot resolve fails loudly, so the emulation keeps up
 * with the template. Idempotent: a second call returns the stack already there.
 */
export async function deploySuiteStack(options: SuiteStackOptions = {}): Promise<LocalSuiteStack> {
  const org = options.org ?? 'sergas';
  const env = options.env ?? 'dev';
  const name = defaultStackName(org, env);
  const cloudFormation = new CloudFormationClient({});
  const existing = await cloudFormation
    .send(new DescribeStacksCommand({ StackName: name }))
    .then((out) => out.Stacks?.[0])
    .catch(() => undefined);
  if (existing) return { name, outputs: outputsOf(existing.Outputs) };

  const template = parseTemplate(readFileSync(TEMPLATE, 'utf8')) as ReturnType<typeof parseTemplate> & {
    Outputs: Record<string, { Value: unknown }>;
  };
  const sub = (text: string, extra: Record<string, string> = {}) =>
    text.replace(/\$\{([^}]+)\}/g, (whole, key: string) => {
      const value = { Org: org, Environment: env, 'AWS::Region': region(), ...extra }[key];
      if (value === undefined) throw new Error(`suite-stack: cannot resolve ${whole}`);
      return value;
    });

  const driver = new RotationDriver();
  const attributes = new Map<string, { ref: string; arn: string }>();
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type === 'AWS::Serverless::Function') {
      const functionName = sub((resource.Properties?.FunctionName as { 'Fn::Sub': string })['Fn::Sub']);
      attributes.set(id, { ref: functionName, arn: await driver.rotationLambdaArn(functionName) });
    }
  }
  const group = `${org}-${env}-zoho-refresh`;
  await new SchedulerClient({})
    .send(new CreateScheduleGroupCommand({ Name: group }))
    .catch((error: Error) => {
      if (error.name !== 'ConflictException') throw error;
    });
  attributes.set('ZohoRefreshScheduleGroup', { ref: group, arn: '' });
  attributes.set('ZohoRefreshSchedulerRole', {
    ref: '',
    arn: await schedulerRole(`${org}-${env}-zoho-refresh`),
  });
  const topicArn =
    options.alertTopicArn ??
    (await new SNSClient({}).send(new CreateTopicCommand({ Name: `${org}-${env}-rotation-alerts` })))
      .TopicArn ??
    '';
  attributes.set('AlertTopic', { ref: topicArn, arn: '' });
  const dashboard = `${org}-${env}-secret-rotation`;

  const resolve = (value: unknown): string => {
    const v = value as { Ref?: string; 'Fn::GetAtt'?: string[]; 'Fn::Sub'?: string };
    if (typeof value === 'string') return value;
    if (v.Ref) return required(attributes.get(v.Ref)?.ref, v.Ref);
    if (v['Fn::GetAtt']?.[1] === 'Arn')
      return required(attributes.get(v['Fn::GetAtt'][0] ?? '')?.arn, v['Fn::GetAtt'].join('.'));
    if (v['Fn::Sub']) return sub(v['Fn::Sub'], { RotationDashboard: dashboard });
    throw new Error(`suite-stack: cannot resolve output value ${JSON.stringify(value)}`);
  };
  const outputs = Object.fromEntries(
    Object.entries(template.Outputs).map(([key, output]) => [key, resolve(output.Value)]),
  );

  await cloudFormation.send(
    new CreateStackCommand({
      StackName: name,
      Parameters: Object.entries({ ...options.parameters, Org: org, Environment: env }).map(
        ([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue }),
      ),
      TemplateBody: JSON.stringify({
        Parameters: Object.fromEntries(
          ['Org', 'Environment', ...Object.keys(options.parameters ?? {})].map((key) => [
            key,
            { Type: 'String' },
          ]),
        ),
        // A stack needs a resource; this one does nothing.
        Resources: { Placeholder: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
        Outputs: Object.fromEntries(Object.entries(outputs).map(([key, value]) => [key, { Value: value }])),
      }),
    }),
  );
  return { name, outputs };
}

const region = () => process.env.AWS_REGION ?? 'us-east-1';

function required(value: string | undefined, what: string): string {
  if (!value) throw new Error(`suite-stack: no stand-in for ${what}`);
  return value;
}

function outputsOf(outputs: Output[] | undefined): Record<string, string> {
  return Object.fromEntries((outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
}

async function schedulerRole(roleName: string): Promise<string> {
  const iam = new IAMClient({});
  const existing = await iam
    .send(new GetRoleCommand({ RoleName: roleName }))
    .then((out) => out.Role?.Arn)
    .catch(() => undefined);
  if (existing) return existing;
  const created = await iam.send(
    new CreateRoleCommand({
      RoleName: roleName,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'scheduler.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      }),
    }),
  );
  return required(created.Role?.Arn, 'the Scheduler role');
}
