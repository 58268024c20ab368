import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { type InvokeStep, RotationDriver } from './rotation-driver';

export interface RotationServiceHandle {
  /** Tokens the service rotated, in order. */
  completed: string[];
  failures: Error[];
  stop(): Promise<void>;
}

/**
 * The part of Secrets Manager moto lacks: after RotateSecret, invoke the rotation function's four
 * steps. Watches the given secrets and rotates each AWSPENDING version that appears after it
 * started (earlier ones belong to rotations someone else is driving or abandoned).
 */
export async function startRotationService(
  secretIds: string[],
  invoke: InvokeStep,
  { pollMs = 100 } = {},
): Promise<RotationServiceHandle> {
  const driver = new RotationDriver();
  const seen = new Set<string>();
  const handle: RotationServiceHandle = { completed: [], failures: [], stop: async () => undefined };

  const pendingTokens = async (secretId: string) => {
    const out = await driver.sm.send(new DescribeSecretCommand({ SecretId: secretId }));
    return Object.entries(out.VersionIdsToStages ?? {})
      .filter(([, stages]) => stages.includes('AWSPENDING') && !stages.includes('AWSCURRENT'))
      .map(([versionId]) => versionId);
  };
  for (const secretId of secretIds) for (const token of await pendingTokens(secretId)) seen.add(token);

  let running = true;
  const loop = (async () => {
    while (running) {
      for (const secretId of secretIds) {
        for (const token of await pendingTokens(secretId)) {
          if (seen.has(token)) continue;
          seen.add(token);
          try {
            await driver.runSteps(secretId, token, invoke);
            handle.completed.push(token);
          } catch (error) {
            handle.failures.push(error as Error);
          }
        }
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  })();
  handle.stop = async () => {
    running = false;
    await loop;
  };
  return handle;
}
