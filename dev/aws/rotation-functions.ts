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

/**
 * One warm container (LocalLambda of the built bundle) per rotation function the targets need, each
 * reachable through a local Lambda Invoke API under its deployed name, as emergency-rotate reaches it
 * in AWS. Targets of the same function share its container, and its environment (their `env` merged).
 */
export async function startRotationFunctions(targets: readonly RotationTarget[]): Promise<RotationFunctions> {
  const api = await startLocalLambdaServer();
  const lambdas = new Map<string, LocalLambda>();
  try {
    for (const folder of new Set(targets.map((t) => t.functionName))) {
      const env = Object.assign({}, ...targets.filter((t) => t.functionName === folder).map((t) => t.env));
      const lambda = await LocalLambda.start(folder, { env, invokedAs: deployedName(folder) });
      lambdas.set(folder, lambda);
      api.register(deployedName(folder), (event) => lambda.invoke(event));
    }
  } catch (error) {
    await Promise.all([...lambdas.values()].map((l) => l.stop()));
    await api.stop();
    throw error;
  }
  const lambdaOf = (target: RotationTarget) => {
    const lambda = lambdas.get(target.functionName);
    if (!lambda) throw new Error(`no container for ${target.functionName}`);
    return lambda;
  };
  return {
    api,
    nameOf: (target) => deployedName(target.functionName),
    invoker: (target) => (event) => lambdaOf(target).invoke(event),
    output: () => [...lambdas.values()].map((l) => l.output()).join('\n'),
    outputByFunction: () =>
      new Map([...lambdas].map(([folder, lambda]) => [deployedName(folder), lambda.output()])),
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
