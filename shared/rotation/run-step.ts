import { publishFailure } from '../observability/alerts';
import { logger } from '../observability/logger';
import { recordStep } from '../observability/metrics';
import { describeSecret } from '../secrets/describe';
import { isRevokeEvent, parseRevokeEvent, parseRotationEvent, secretIdOf } from './event';
import { sanitizeForRuntime, summarizeFailure } from './failure';
import { revokePrevious } from './revoke';
import type { Rotator } from './rotator';
import { checkStaging } from './staging';
import { StepContext } from './step-context';
import { runStep } from './steps';

export type StepOutcome = 'succeeded' | 'skipped' | 'failed';

export interface StepReport {
  secretArn: string;
  kind: string;
  step: string;
  version: string;
  outcome: StepOutcome;
  detail: string;
  durationMs: number;
}

/** The audit facts a step body fills in as it learns them. */
interface Audit {
  kind: string;
  step: string;
  secretArn?: string;
  secretName?: string;
  version?: string;
  reason?: string;
  ctx?: StepContext<unknown>;
}

/** Route an invocation: Secrets Manager's rotation steps, or the emergency revoke action. */
export function runRotationInvocation<S>(rotator: Rotator<S>, rawEvent: unknown): Promise<StepReport> {
  return isRevokeEvent(rawEvent) ? runRevoke(rotator, rawEvent) : runRotationStep(rotator, rawEvent);
}

/**
 * One invocation from Secrets Manager: validate the event, describe the secret once, apply the
 * staging guards, run the step.
 */
export function runRotationStep<S>(rotator: Rotator<S>, rawEvent: unknown): Promise<StepReport> {
  return audited(rotator.kind, rawEvent, 'invalidEvent', async (audit) => {
    const event = parseRotationEvent(rawEvent);
    Object.assign(audit, { step: event.Step, version: event.ClientRequestToken });
    const description = await describeSecret(event.SecretId);
    Object.assign(audit, { secretArn: description.arn, secretName: description.name });

    if (checkStaging(description, event.ClientRequestToken) === 'already-current') {
      return { outcome: 'skipped', detail: 'version is already AWSCURRENT; nothing to do' };
    }
    const ctx = new StepContext(rotator, description, event.ClientRequestToken, event.Step);
    audit.ctx = ctx as StepContext<unknown>;
    return { outcome: 'succeeded', detail: await runStep(event.Step, ctx, event.RotationToken) };
  });
}

/** Emergency revoke of the AWSPREVIOUS credential, sent by the emergency-rotate function. */
function runRevoke<S>(rotator: Rotator<S>, rawEvent: unknown): Promise<StepReport> {
  return audited(rotator.kind, rawEvent, 'revokePrevious', async (audit) => {
    const event = parseRevokeEvent(rawEvent);
    audit.reason = event.Reason;
    const description = await describeSecret(event.SecretId);
    Object.assign(audit, { secretArn: description.arn, secretName: description.name });
    const { ctx, previousVersion } = await revokePrevious(rotator, description);
    Object.assign(audit, { version: previousVersion, ctx });
    return { outcome: 'succeeded', detail: 'the previous credential no longer works' };
  });
}

/**
 * Run a step body, then write exactly one audit line, record metrics and, on failure, alert.
 * Errors are rethrown (scrubbed) so Secrets Manager marks the step failed and retries it.
 */
async function audited(
  kind: string,
  rawEvent: unknown,
  step: string,
  body: (audit: Audit) => Promise<{ outcome: StepOutcome; detail: string }>,
): Promise<StepReport> {
  const started = performance.now();
  const audit: Audit = { kind, step, secretArn: secretIdOf(rawEvent) };
  try {
    const { outcome, detail } = await body(audit);
    const durationMs = elapsed(started);
    logger.info(`${audit.step} ${outcome}`, {
      audit: { ...auditFields(audit), outcome, detail, durationMs },
    });
    recordStep(kind, audit.step, true, durationMs);
    return {
      secretArn: audit.secretArn ?? '',
      kind,
      step: audit.step,
      version: audit.version ?? '',
      outcome,
      detail,
      durationMs,
    };
  } catch (error) {
    const failure = summarizeFailure(error);
    const durationMs = elapsed(started);
    logger.error(`${audit.step} failed: ${failure.message}`, {
      audit: { ...auditFields(audit), outcome: 'failed', durationMs, ...failure },
      error,
    });
    recordStep(kind, audit.step, false, durationMs);
    await publishFailure({ secretArn: audit.secretArn ?? 'unknown', kind, step: audit.step, ...failure });
    throw sanitizeForRuntime(error);
  }
}

function auditFields({ ctx, ...facts }: Audit): Record<string, unknown> {
  if (!ctx) return facts;
  return {
    ...facts,
    reads: ctx.reads.map((read) => `${read.stage}${read.cached ? ' (cached)' : ''}`),
    ...ctx.notes,
  };
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}
