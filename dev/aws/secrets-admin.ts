import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { randomUUID } from 'node:crypto';

/** Test-side helpers over Secrets Manager (moto): create secrets, read stages, snapshot labels. */
export class SecretsAdmin {
  readonly sm = new SecretsManagerClient({});

  /** A unique secret name under the suite's naming convention, so test files never collide. */
  uniqueName(component: string, type: string): string {
    return `sergas/${component}/dev/${type}-${randomUUID().slice(0, 8)}`;
  }

  async create(name: string, value: unknown, tags: Record<string, string> = {}): Promise<string> {
    const out = await this.sm.send(
      new CreateSecretCommand({
        Name: name,
        SecretString: JSON.stringify(value),
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
    if (!out.ARN) throw new Error('CreateSecret returned no ARN');
    return out.ARN;
  }

  /**
   * Store a new AWSCURRENT value, as anyone with PutSecretValue may (the threat the suite's
   * refusals are tested against: someone who can edit a secret but not the functions).
   */
  async put(secretId: string, value: unknown): Promise<string> {
    const out = await this.sm.send(
      new PutSecretValueCommand({ SecretId: secretId, SecretString: JSON.stringify(value) }),
    );
    if (!out.VersionId) throw new Error('PutSecretValue returned no VersionId');
    return out.VersionId;
  }

  /** The value at a stage, parsed; always by explicit stage (moto answers stale values otherwise). */
  async valueAt<T = Record<string, unknown>>(secretId: string, stage: string): Promise<T | undefined> {
    try {
      const out = await this.sm.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }));
      return out.SecretString === undefined ? undefined : (JSON.parse(out.SecretString) as T);
    } catch (error) {
      if ((error as Error).name === 'ResourceNotFoundException') return undefined;
      throw error;
    }
  }

  async stages(secretId: string): Promise<Record<string, string[]>> {
    const out = await this.sm.send(new DescribeSecretCommand({ SecretId: secretId }));
    return out.VersionIdsToStages ?? {};
  }

  /** The version id holding a stage. */
  async versionAt(secretId: string, stage: string): Promise<string | undefined> {
    return Object.entries(await this.stages(secretId)).find(([, s]) => s.includes(stage))?.[0];
  }
}
