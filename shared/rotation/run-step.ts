import { publishFailure } from '../observability/alerts';
import { logger } from '../observability/logger';
import { recordStep } from '../observability/metrics';
import { describeSecret } from '../secrets/describe';
import { type RotationStep, parseRotationEvent, secretIdOf } from './event';
import { sanitizeForRuntime, summarizeFailure } from './failure';
import type { Rotator } from './rotator';
import { checkStaging } from './staging';
import { StepContext } from './step-context';
import { runStep } from './steps';

export type StepOutcome = 'succeeded' | 'skipped' | 'failed';

export interface StepReport {
  secretArn: string;
  kind: string;
  step: RotationStep;
  version: string;
  outcome: StepOutcome;
  detail: string;
  durationMs: number;
}

/**
 * One invocation from Secrets Manager: validate the event, describe the secret once, apply the
 * staging guards, run the step, then write exactly one audit line, record metrics and, on failure,
 * alert. Errors are rethrown (scrubbed) so the service marks the step failed and retries it.
 */
export async function runRotationStep<S>(rotator: Rotator<S>, rawEvent: unknown): Promise<StepReport> {
  const started = performance.now();
  const audit: Record<string, unknown> = { kind: rotator.kind, secretArn: secretIdOf(rawEvent) };
  let ctx: StepContext<S> | undefined;
  try {
    const event = parseRotationEvent(rawEvent);
    Object.assign(audit, { step: event.Step, version: event.ClientRequestToken });

    const description = await describeSecret(event.SecretId);
    audit.secretArn = description.arn;
    audit.secretName = description.name;

    let detail: string;
    let outcome: StepOutcome;
    if (checkStaging(description, event.ClientRequestToken) === 'already-current') {
      outcome = 'skipped';
      detail = 'version is already AWSCURRENT; nothing to do';
    } else {
      ctx = new StepContext(rotator, description, event.ClientRequestToken, event.Step);
      detail = await runStep(event.Step, ctx, event.RotationToken);
      outcome = 'succeeded';
    }

    const report: StepReport = {
      secretArn: description.arn,
      kind: rotator.kind,
      step: event.Step,
      version: event.ClientRequestToken,
      outcome,
      detail,
      durationMs: elapsed(started),
    };
    logger.info(`${event.Step} ${outcome}`, {
      audit: { ...audit, ...auditExtras(ctx), outcome, detail, durationMs: report.durationMs },
    });
    recordStep(rotator.kind, event.Step, true, report.durationMs);
    return report;
  } catch (error) {
    const failure = summarizeFailure(error);
    const step = typeof audit.step === 'string' ? audit.step : 'invalidEvent';
    const durationMs = elapsed(started);
    logger.error(`${step} failed: ${failure.message}`, {
      audit: { ...audit, ...auditExtras(ctx), step, outcome: 'failed', durationMs, ...failure },
      error,
    });
    recordStep(rotator.kind, step, false, durationMs);
    await publishFailure({
      secretArn: String(audit.secretArn ?? 'unknown'),
      kind: rotator.kind,
      step,
      ...failure,
    });
    throw sanitizeForRuntime(error);
  }
}

function auditExtras<S>(ctx: StepContext<S> | undefined): Record<string, unknown> {
  if (!ctx) return {};
  return {
    reads: ctx.reads.map((read) => `${read.stage}${read.cached ? ' (cached)' : ''}`),
    ...ctx.notes,
  };
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}
