import { rotationFunctionName } from '../../ops/suite';
import { LocalLambda } from './local-lambda';
import { type LocalLambdaServer, startLocalLambdaServer } from './local-lambda-server';
import type { InvokeStep } from './rotation-driver';
import type { RotationTarget } from '../targets/index';

/** The deployed name of a rotation function (template.yaml: `${Org}-${Environment}-<folder>-rotation`). */
export function deployedName(functionFolder: string, org = 'sergas', env = 'dev'): string {
  return rotationFunctionName({ org, env }, functionFolder);
}

export interface RotationFunctions {
  /** The Lambda Invoke API on loopback; give its endpoint to emergency-rotate as AWS_ENDPOINT_URL_LAMBDA. */
  api: LocalLambdaServer;
  /** The deployed name of the function that rotates `target` (register it in moto under this name). */
  nameOf(target: RotationTarget): string;
  /** Run one event in the warm container of `target`'s function. */
  invoker(target: RotationTarget): InvokeStep;
  /** Everything every function printed so far (for no-leak checks). */
  output(): string;
  /** What each function printed, by deployed name: what Lambda would have sent to CloudWatch Logs. */
  outputByFunction(): Map<string, string>;
  stop(): Promise<void>;
}

export interface RotationFunctionsOptions {
  /**
   * The environment whose stack each target's secret is wired to (default dev): one container per
   * function and environment, each presenting that environment's deployed name in its Lambda
   * context, because a function acts only on secrets wired to it.
   */
  environmentOf?: (target: RotationTarget) => string;
}

/**
 * One warm container (LocalLambda of the built bundle) per rotation function the targets need, each
 * reachable through a local Lambda Invoke API under its deployed name, as emergency-rotate reaches it
 * in AWS. Targets of the same function share its container, and its environment (their `env` merged).
 */
export async function startRotationFunctions(
  targets: readonly RotationTarget[],
  options: RotationFunctionsOptions = {},
): Promise<RotationFunctions> {
  const nameOf = (target: RotationTarget) =>
    deployedName(target.functionName, 'sergas', options.environmentOf?.(target) ?? 'dev');
  const api = await startLocalLambdaServer();
  const lambdas = new Map<string, LocalLambda>();
  try {
    for (const name of new Set(targets.map(nameOf))) {
      const served = targets.filter((t) => nameOf(t) === name);
      const env = Object.assign({}, ...served.map((t) => t.env));
      const lambda = await LocalLambda.start((served[0] as RotationTarget).functionName, {
        env,
        invokedAs: name,
      });
      lambdas.set(name, lambda);
      api.register(name, (event) => lambda.invoke(event));
    }
  } catch (error) {
    await Promise.all([...lambdas.values()].map((l) => l.stop()));
    await api.stop();
    throw error;
  }
  const lambdaOf = (target: RotationTarget) => {
    const lambda = lambdas.get(nameOf(target));
    if (!lambda) throw new Error(`no container for ${nameOf(target)}`);
    return lambda;
  };
  return {
    api,
    nameOf,
    invoker: (target) => (event) => lambdaOf(target).invoke(event),
    output: () => [...lambdas.values()].map((l) => l.output()).join('\n'),
    outputByFunction: () => new Map([...lambdas].map(([name, lambda]) => [name, lambda.output()])),
    async stop() {
      await Promise.all([...lambdas.values()].map((l) => l.stop()));
      await api.stop();
    },
  };
}

/** Keys whose values are credentials in the suite's secret formats (password, token, *_token, client_secret). */
const CREDENTIAL_KEY = /(password|token|secret)$/i;

/**
 * Every credential held by these secret values: what a no-leak check searches function output for.
 * Short strings are skipped (they could appear by chance and are no credential the suite generates).
 */
export function credentialsIn(values: readonly (Record<string, unknown> | undefined)[]): string[] {
  const found = new Set<string>();
  for (const value of values) {
    for (const [key, field] of Object.entries(value ?? {})) {
      if (CREDENTIAL_KEY.test(key) && typeof field === 'string' && field.length >= 8) found.add(field);
    }
  }
  return [...found];
}
