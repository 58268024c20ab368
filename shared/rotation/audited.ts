import { publishFailure } from '../observability/alerts';
import { logger } from '../observability/logger';
import { recordStep } from '../observability/metrics';
import { secretIdOf } from './event';
import { sanitizeForRuntime, summarizeFailure } from './failure';
import type { StepContext } from './step-context';

export type StepOutcome = 'succeeded' | 'skipped' | 'failed';

export interface StepReport {
  secretArn: string;
  secretName: string;
  kind: string;
  step: string;
  version: string;
  outcome: StepOutcome;
  detail: string;
  durationMs: number;
}

/** The audit facts a body fills in as it learns them. Never a secret value. */
export interface Audit {
  kind: string;
  step: string;
  secretArn?: string;
  secretName?: string;
  version?: string;
  reason?: string;
  ctx?: StepContext<unknown>;
  [fact: string]: unknown;
}

/**
 * Run a body, then write exactly one audit line, record metrics and, on failure, alert. Errors are
 * rethrown (scrubbed) so the caller (Secrets Manager, an operator) sees the failure.
 */
export async function audited(
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
      secretName: audit.secretName ?? '',
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
    await publishFailure({
      secretArn: audit.secretArn ?? 'unknown',
      kind,
      step: audit.step,
      ...failure,
      ...(audit.reason ? { reason: audit.reason } : {}),
    });
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
