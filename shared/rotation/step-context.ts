import type { LambdaInvocation } from '../observability/lambda-handler';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Deadline } from '../net/deadline';
import { logger } from '../observability/logger';
import { rememberSecretFields } from '../observability/redaction';
import type { SecretDescription } from '../secrets/describe';
import { hasStage, versionWithStage } from '../secrets/describe';
import { Stage } from '../secrets/stages';
import { moveStage, readCurrentOf, readVersion, removeStage, type VersionRead } from '../secrets/versions';
import type { AuditScope } from './audit';
import { RotationError, SecretFormatError, SecretVersionMissingError } from '../errors';
import type { RotationStep } from './event';
import type { RotationContext, Rotator, RotatorLabel } from './rotator';

/**
 * The core's side of RotationContext: lazy, memoised reads of the versions a step needs, each read
 * by explicit VersionId and stage, each parsed and validated, each listed in the audit scope.
 */
export class StepContext<S> implements RotationContext<S> {
  readonly logger: Logger;
  readonly #loaded = new Map<string, Promise<S | undefined>>();
  readonly #onRead: (read: VersionRead) => void;
  /** Labels this step put on or took off its version (the description is the step's first look). */
  readonly #labelled = new Map<RotatorLabel, boolean>();

  constructor(
    readonly rotator: Rotator<S>,
    readonly description: SecretDescription,
    readonly versionId: string,
    readonly step: RotationStep | 'revokePrevious',
    private readonly audit: AuditScope,
    readonly deadline: Deadline,
    readonly lambda?: LambdaInvocation,
  ) {
    this.#onRead = audit.listReads();
    // A child logger of this step only: muted when the deadline fires, since by then the step has
    // been audited as failed and whatever it still says would contradict that.
    const stepLogger = logger.createChild();
    deadline.signal.addEventListener('abort', () => stepLogger.setLogLevel('SILENT'), { once: true });
    this.logger = stepLogger;
  }

  get signal(): AbortSignal {
    return this.deadline.signal;
  }

  waitingFor(label: string): void {
    this.deadline.waitingFor(label);
  }

  get secretArn(): string {
    return this.description.arn;
  }

  get secretName(): string {
    return this.description.name;
  }

  async current(): Promise<S> {
    const versionId = versionWithStage(this.description, Stage.Current);
    const value = versionId ? await this.load(versionId, Stage.Current) : undefined;
    if (value === undefined) {
      throw new SecretVersionMissingError(`secret ${this.secretName} has no AWSCURRENT value`);
    }
    return value;
  }

  async previous(): Promise<S | undefined> {
    const versionId = versionWithStage(this.description, Stage.Previous);
    return versionId ? this.load(versionId, Stage.Previous) : undefined;
  }

  async abandoned(): Promise<S | undefined> {
    const versionId = versionWithStage(this.description, Stage.Abandoned);
    if (!versionId) return undefined;
    try {
      return await this.load(versionId, Stage.Abandoned);
    } catch (error) {
      if (this.signal.aborted) throw error;
      // A fallback credential only: an unreadable one is no reason to fail the rotation.
      this.logger.warn('the abandoned pending value cannot be read; ignoring it', { versionId, error });
      return undefined;
    }
  }

  /** The value stored under the version being rotated in, if createSecret has stored one. */
  pendingIfStored(): Promise<S | undefined> {
    return this.load(this.versionId, Stage.Pending);
  }

  async pending(): Promise<S> {
    const value = await this.pendingIfStored();
    if (value === undefined) {
      throw new SecretVersionMissingError(
        `secret ${this.secretName} has no AWSPENDING value for version ${this.versionId}; createSecret must run first`,
        { retryable: true },
      );
    }
    return value;
  }

  async readOtherSecret(secretId: string, purpose: string): Promise<unknown> {
    const raw = await readCurrentOf(secretId, this.deadline);
    if (raw === undefined) {
      throw new SecretVersionMissingError(`the ${purpose} ${secretId} has no AWSCURRENT value`);
    }
    return decodeJson(raw, `the ${purpose} ${secretId}`);
  }

  annotate(fields: Record<string, string | number | boolean>): void {
    this.audit.note(fields);
  }

  versionHasLabel(label: RotatorLabel): boolean {
    return this.#labelled.get(label) ?? hasStage(this.description, this.versionId, label);
  }

  async labelVersion(label: RotatorLabel): Promise<void> {
    if (this.versionHasLabel(label)) return;
    await moveStage(
      this.secretArn,
      label,
      this.versionId,
      versionWithStage(this.description, label),
      this.deadline,
    );
    this.#labelled.set(label, true);
  }

  async unlabelVersion(label: RotatorLabel): Promise<void> {
    if (!this.versionHasLabel(label)) return;
    await removeStage(this.secretArn, label, this.versionId, this.deadline);
    this.#labelled.set(label, false);
  }

  private load(versionId: string, stage: Stage): Promise<S | undefined> {
    const key = `${versionId}/${stage}`;
    let loading = this.#loaded.get(key);
    if (!loading) {
      loading = this.fetchAndParse(versionId, stage);
      this.#loaded.set(key, loading);
    }
    return loading;
  }

  private async fetchAndParse(versionId: string, stage: Stage): Promise<S | undefined> {
    const raw = await readVersion(this.secretArn, versionId, stage, {
      onRead: this.#onRead,
      deadline: this.deadline,
    });
    if (raw === undefined) return undefined;
    const label = `secret ${this.secretName} ${stage} (version ${versionId})`;
    const json = decodeJson(raw, label);
    try {
      return this.rotator.parse(json);
    } catch (error) {
      if (error instanceof RotationError) {
        const problems = error instanceof SecretFormatError ? error.problems : [];
        throw new SecretFormatError(`${label} is ${error.message}`, problems, {
          action: 'Fix the secret value (see the README for the format) and start a new rotation.',
        });
      }
      throw error;
    }
  }
}

function decodeJson(raw: string, label: string): unknown {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    // Never quote the parser's message: it contains a slice of the secret.
    throw new SecretFormatError(`${label} is not valid JSON`);
  }
  rememberSecretFields(json, raw);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new SecretFormatError(`${label} is not a JSON object`);
  }
  return json;
}
