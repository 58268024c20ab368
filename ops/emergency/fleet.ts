import * as z from 'zod/mini';
import { forEachBounded } from './pool';
import type { FleetSecret } from './selection';

/** What emergency-rotate takes (functions/emergency-rotate/input.ts). */
export interface EmergencyRequest {
  secretId: string;
  reason: string;
  revokePrevious: boolean;
  /** Always false here: the fleet run sends one SNS summary instead of a notice per secret. */
  announce: boolean;
}

/**
 * One emergency rotation through emergency-rotate, deployed or local; `worker` is the caller's
 * slot (0 to concurrency - 1). Resolves with the function's report, rejects with FunctionError.
 */
export type EmergencyInvoke = (request: EmergencyRequest, worker: number) => Promise<unknown>;

/** emergency-rotate failed, as the Lambda runtime reports it, with the action its audit line gave. */
export class FunctionError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
    readonly action?: string,
  ) {
    super(message);
    this.name = errorType;
  }
}

export type FleetOutcome = 'rotated' | 'rotated, revoked' | 'failed';

export interface FleetResult {
  secret: string;
  kind: string;
  outcome: FleetOutcome;
  durationMs: number;
  /** The new AWSCURRENT version, when rotated. */
  version?: string;
  errorName?: string;
  /** The function's error message (scrubbed there), and what to do, when it failed. */
  message?: string;
  action?: string;
}

/** The part of emergency-rotate's report (EmergencyReport) that says it worked. */
const ReportSchema = z.object({
  outcome: z.literal('succeeded'),
  version: z.optional(z.string()),
  revokedPrevious: z.boolean(),
});

export interface FleetRun {
  reason: string;
  revokePrevious: boolean;
  concurrency: number;
  invoke: EmergencyInvoke;
  /** Called once per secret as it finishes, in completion order. */
  onResult?: (result: FleetResult, done: number, total: number) => void;
}

/**
 * Rotate every selected secret through emergency-rotate, `concurrency` at a time. A failure is
 * that secret's result and never stops the others: after a leak, every other secret still needs
 * rotating. Results come back in the selection's order.
 */
export async function rotateFleet(secrets: readonly FleetSecret[], run: FleetRun): Promise<FleetResult[]> {
  const results = new Map<FleetSecret, FleetResult>();
  await forEachBounded(secrets, run.concurrency, async (secret, worker) => {
    const result = await rotateOne(secret, run, worker);
    results.set(secret, result);
    run.onResult?.(result, results.size, secrets.length);
  });
  return secrets.map((secret) => results.get(secret) as FleetResult);
}

async function rotateOne(secret: FleetSecret, run: FleetRun, worker: number): Promise<FleetResult> {
  const started = performance.now();
  const base = { secret: secret.name, kind: secret.kind };
  try {
    const payload = await run.invoke(
      { secretId: secret.arn, reason: run.reason, revokePrevious: run.revokePrevious, announce: false },
      worker,
    );
    const durationMs = performance.now() - started;
    const report = ReportSchema.safeParse(payload);
    if (!report.success) {
      return {
        ...base,
        outcome: 'failed',
        durationMs,
        errorName: 'UnexpectedReport',
        message: 'the function answered without an error but not with a succeeded emergency report',
        action: "Check that the function invoked is this suite's emergency-rotate (--function).",
      };
    }
    return {
      ...base,
      outcome: report.data.revokedPrevious ? 'rotated, revoked' : 'rotated',
      durationMs,
      ...(report.data.version ? { version: report.data.version } : {}),
    };
  } catch (error) {
    const failure = error as Error & { action?: unknown };
    return {
      ...base,
      outcome: 'failed',
      durationMs: performance.now() - started,
      errorName: error instanceof FunctionError ? error.errorType : failure.name,
      message: failure.message,
      ...(typeof failure.action === 'string' ? { action: failure.action } : {}),
    };
  }
}
