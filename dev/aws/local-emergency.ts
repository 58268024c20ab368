import { type EmergencyInvoke, FunctionError } from '../../ops/emergency/fleet';
import { LambdaInvokeError, LocalLambda } from './local-lambda';

export interface LocalEmergencyPool {
  invoke: EmergencyInvoke;
  /** Everything the function processes printed (for no-leak checks). */
  output(): string;
  stop(): Promise<void>;
}

/** The `action` of the newest failed audit line among `lines`: what the function says to do next. */
function actionIn(lines: Record<string, unknown>[]): string | undefined {
  const failed = lines
    .map((line) => line.audit as { outcome?: string; action?: unknown } | undefined)
    .filter((audit) => audit?.outcome === 'failed')
    .at(-1);
  return typeof failed?.action === 'string' ? failed.action : undefined;
}

/**
 * `workers` warm processes of the built emergency-rotate bundle, one per concurrency slot (each
 * runs one invocation at a time, as a Lambda container does), against the endpoints the
 * environment names: what `npm run emergency -- --local` rotates a fleet with.
 */
export async function startLocalEmergencyPool(
  workers: number,
  env: Record<string, string> = {},
): Promise<LocalEmergencyPool> {
  const started = await Promise.allSettled(
    Array.from({ length: workers }, () => LocalLambda.start('emergency-rotate', { env })),
  );
  const lambdas = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failure = started.find((s) => s.status === 'rejected');
  if (failure) {
    await Promise.all(lambdas.map((lambda) => lambda.stop()));
    throw failure.reason;
  }
  return {
    async invoke(request, worker) {
      const lambda = lambdas[worker % lambdas.length] as LocalLambda;
      const before = lambda.jsonLines().length;
      try {
        return await lambda.invoke(request);
      } catch (error) {
        if (!(error instanceof LambdaInvokeError)) throw error;
        throw new FunctionError(error.errorType, error.message, actionIn(lambda.jsonLines().slice(before)));
      }
    },
    output: () => lambdas.map((lambda) => lambda.output()).join('\n'),
    stop: async () => {
      await Promise.all(lambdas.map((lambda) => lambda.stop()));
    },
  };
}
