import { CreateRoleCommand, GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  DescribeSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { ROTATION_STEPS, type RotationStep } from '../../shared/rotation/event';
import { rotationFunctionName, rotationKinds } from '../../ops/suite';
import { zipOneFile } from './zip';

export interface RotationEventShape {
  SecretId: string;
  ClientRequestToken: string;
  Step: RotationStep;
}

/** Runs one rotation step the way Lambda would: in process, through a built bundle, or a child process. */
export type InvokeStep = (event: RotationEventShape) => Promise<unknown>;

export interface StepAttempt {
  step: RotationStep;
  attempt: number;
  ok: boolean;
  error?: string;
  durationMs: number;
}

export class RotationFailedError extends Error {
  constructor(
    readonly step: RotationStep,
    readonly token: string,
    readonly lastError: unknown,
  ) {
    super(
      `rotation failed at ${step}: ${lastError instanceof Error ? lastError.message : String(lastError)}`,
    );
    this.name = 'RotationFailedError';
  }
}

export interface DriverOptions {
  /** Attempts per step before the rotation is abandoned (the service retries a failed step). */
  attemptsPerStep?: number;
  /** Called after every attempt: progress lines for the demo, counts for the bench. */
  onAttempt?: (attempt: StepAttempt) => void;
}

/**
 * Plays Secrets Manager's part in a rotation against moto: RotateSecret stages AWSPENDING and returns
 * the token, then the four steps are invoked in order, a failed step retried. After finishSecret the
 * driver removes AWSPENDING from the promoted version, as the real service does (moto does not).
 */
export class RotationDriver {
  readonly sm = new SecretsManagerClient({});
  readonly #lambdaArns = new Map<string, Promise<string>>();

  constructor(readonly options: DriverOptions = {}) {}

  /**
   * A Lambda ARN moto knows, required by its RotateSecret; created once per name and moto server.
   * Name it after the real function when something routes invocations by that ARN (emergency revoke).
   */
  rotationLambdaArn(functionName = STAND_IN_FUNCTION_NAME): Promise<string> {
    let arn = this.#lambdaArns.get(functionName);
    if (!arn) {
      arn = registerRotationLambda(functionName);
      this.#lambdaArns.set(functionName, arn);
    }
    return arn;
  }

  /** RotateSecret: enables rotation and stages an empty AWSPENDING version; returns its token. */
  async startRotation(secretId: string, days = 30, functionName?: string): Promise<string> {
    const out = await this.sm.send(
      new RotateSecretCommand({
        SecretId: secretId,
        RotationLambdaARN: await this.rotationLambdaArn(functionName),
        RotationRules: { AutomaticallyAfterDays: days },
      }),
    );
    if (!out.VersionId) throw new Error('RotateSecret returned no VersionId');
    return out.VersionId;
  }

  /** Invoke the given steps for a token, in order, with the service's retries. */
  async runSteps(
    secretId: string,
    token: string,
    invoke: InvokeStep,
    steps: readonly RotationStep[] = ROTATION_STEPS,
  ): Promise<void> {
    const attempts = this.options.attemptsPerStep ?? 3;
    for (const step of steps) {
      for (let attempt = 1; ; attempt++) {
        const started = performance.now();
        try {
          await invoke({ SecretId: secretId, ClientRequestToken: token, Step: step });
          this.options.onAttempt?.({ step, attempt, ok: true, durationMs: performance.now() - started });
          break;
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          this.options.onAttempt?.({
            step,
            attempt,
            ok: false,
            error: message,
            durationMs: performance.now() - started,
          });
          if (attempt >= attempts) throw new RotationFailedError(step, token, error);
        }
      }
    }
    if (steps.includes('finishSecret')) await this.clearPendingLabel(secretId, token);
  }

  /** A whole rotation: RotateSecret, then the four steps. Returns the new version's token. */
  async rotate(secretId: string, invoke: InvokeStep, functionName?: string): Promise<string> {
    const token = await this.startRotation(secretId, 30, functionName);
    await this.runSteps(secretId, token, invoke);
    return token;
  }

  /**
   * Give up on a failed rotation the way emergency-rotate does, so the next RotateSecret is
   * accepted: its pending version loses AWSPENDING and keeps ROTATION_ABANDONED (its setSecret
   * may have changed the target, and the next setSecret may need to log in with it).
   */
  async abandonPending(secretId: string): Promise<void> {
    const description = await this.sm.send(new DescribeSecretCommand({ SecretId: secretId }));
    const versions = Object.entries(description.VersionIdsToStages ?? {});
    let holder = versions.find(([, stages]) => stages.includes('ROTATION_ABANDONED'))?.[0];
    for (const [versionId, stages] of versions) {
      if (!stages.includes('AWSPENDING') || stages.includes('AWSCURRENT')) continue;
      await this.sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: 'ROTATION_ABANDONED',
          MoveToVersionId: versionId,
          ...(holder && holder !== versionId ? { RemoveFromVersionId: holder } : {}),
        }),
      );
      holder = versionId;
      await this.sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: 'AWSPENDING',
          RemoveFromVersionId: versionId,
        }),
      );
    }
  }

  /** What the service does after a successful finishSecret: AWSPENDING leaves the promoted version. */
  async clearPendingLabel(secretId: string, token: string): Promise<void> {
    const description = await this.sm.send(new DescribeSecretCommand({ SecretId: secretId }));
    const stages = description.VersionIdsToStages?.[token] ?? [];
    if (stages.includes('AWSCURRENT') && stages.includes('AWSPENDING')) {
      await this.sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: 'AWSPENDING',
          RemoveFromVersionId: token,
        }),
      );
    }
  }
}

/**
 * The rotation function moto knows when a test names none: a LocalLambda started without
 * `invokedAs` runs under this name, so the secrets a driver wires by default are its own.
 */
export const STAND_IN_FUNCTION_NAME = 'secret-rotation-test-double';

/** moto's account: every function ARN of the local stack lives there. */
const LOCAL_ACCOUNT = '123456789012';

/** A function's ARN in the local stack (moto's account, this process's region). */
export function localFunctionArn(functionName: string): string {
  return `arn:aws:lambda:${process.env.AWS_REGION ?? 'us-east-1'}:${LOCAL_ACCOUNT}:function:${functionName}`;
}

/**
 * What template.yaml gives emergency-rotate as SUITE_ROTATION_FUNCTION_ARNS, for the local stack:
 * the stand-in, and every rotation function of the sergas stacks the demo and the tests deploy.
 */
export function localSuiteFunctionArns(): string {
  const stacks = ['dev', 'staging', 'prod'].map((env) => ({ org: 'sergas', env }));
  const names = stacks.flatMap((stack) => rotationKinds().map((kind) => rotationFunctionName(stack, kind)));
  return [STAND_IN_FUNCTION_NAME, ...names].map(localFunctionArn).join(',');
}

async function registerRotationLambda(functionName: string): Promise<string> {
  const iam = new IAMClient({});
  const lambda = new LambdaClient({});
  const existing = await lambda
    .send(new GetFunctionCommand({ FunctionName: functionName }))
    .catch(() => undefined);
  if (existing?.Configuration?.FunctionArn) return existing.Configuration.FunctionArn;

  const roleName = 'secret-rotation-test-role';
  const getRole = () => iam.send(new GetRoleCommand({ RoleName: roleName })).then((out) => out.Role);
  // Test files run in parallel: another may create the role between our get and our create.
  const role =
    (await getRole().catch(() => undefined)) ??
    (await iam
      .send(
        new CreateRoleCommand({
          RoleName: roleName,
          AssumeRolePolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
            ],
          }),
        }),
      )
      .then((out) => out.Role)
      .catch(getRole));
  if (!role?.Arn) throw new Error('moto did not return a role ARN');
  try {
    const created = await lambda.send(
      new CreateFunctionCommand({
        FunctionName: functionName,
        Role: role.Arn,
        Runtime: 'nodejs24.x',
        Handler: 'index.handler',
        Code: { ZipFile: zipOneFile('index.mjs', 'export const handler = async () => ({});') },
      }),
    );
    if (!created.FunctionArn) throw new Error('moto did not return a function ARN');
    return created.FunctionArn;
  } catch (error) {
    // Another test file registered it first.
    const again = await lambda.send(new GetFunctionCommand({ FunctionName: functionName }));
    if (again.Configuration?.FunctionArn) return again.Configuration.FunctionArn;
    throw error;
  }
}
