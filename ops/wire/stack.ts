import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { StackLookupError } from './errors';

/** What wire needs of a deployed suite stack: its org, environment and outputs. */
export interface SuiteStack {
  name: string;
  org: string;
  env: string;
  outputs: Record<string, string>;
  /** The parameters it was deployed with (DescribeStacks lists defaults too). */
  parameters: Record<string, string>;
}

/** samconfig.toml names the stacks so: `sergas-prod-rotation-suite`. */
export const defaultStackName = (org: string, env: string) => `${org}-${env}-rotation-suite`;

/**
 * The stack's outputs and its Org/Environment parameters, from CloudFormation (DescribeStacks).
 * Locally the dev tools create a stack of the same outputs in moto (dev/aws/suite-stack.ts).
 */
export async function readSuiteStack(
  name: string,
  client = new CloudFormationClient({}),
): Promise<SuiteStack> {
  let stack;
  try {
    stack = (await client.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0];
  } catch (error) {
    if ((error as Error).name === 'ValidationError' && /does not exist/.test((error as Error).message))
      throw new StackLookupError(
        `no stack ${name} in this account and region: deploy it (sam deploy --config-env <env>, docs/operations.md) or name it with --stack`,
      );
    throw error;
  }
  if (!stack) throw new StackLookupError(`DescribeStacks returned no stack ${name}`);
  const parameters = Object.fromEntries(
    (stack.Parameters ?? []).map((p) => [p.ParameterKey ?? '', p.ParameterValue ?? '']),
  );
  const outputs = Object.fromEntries(
    (stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']),
  );
  const org = parameters.Org;
  const env = parameters.Environment;
  if (!org || !env)
    throw new StackLookupError(
      `stack ${name} has no Org/Environment parameters: is it the rotation suite's?`,
    );
  return { name, org, env, outputs, parameters };
}

/** An output wire needs, or a refusal naming it. */
export function outputOf(stack: SuiteStack, key: string): string {
  const value = stack.outputs[key];
  if (!value)
    throw new StackLookupError(
      `stack ${stack.name} has no output ${key}: deploy the current template.yaml (sam deploy --config-env ${stack.env})`,
    );
  return value;
}
