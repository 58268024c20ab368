import type { MiddlewareObj } from '@middy/core';
import { InvocationTimeoutError } from '../errors';
import { type Deadline, InvocationDeadline, noDeadline } from '../net/deadline';
import {
  type HandlerOptions,
  type InvocationContext,
  type LambdaInvocation,
  withPowertools,
} from '../observability/lambda-handler';
import { openRedactionScope } from '../observability/redaction';
import { AuditScope, audited, type AuditedResult, type StepReport } from './audit';
import { secretIdOf } from './event';

/**
 * How long before the Lambda deadline an invocation gives up: time enough to write the audit line,
 * flush the metric and publish the alert (itself bounded to what is left). The body's signal fires
 * then too, so its network calls stop instead of finishing after the function has failed.
 */
export const DEADLINE_MARGIN_MS = 2_000;
/** Kept back from the alert's publish, for the metric flush and the runtime's own reply. */
const FLUSH_RESERVE_MS = 200;

/** What an audited body is given: its audit scope, and the deadline its network calls obey. */
export interface Invocation {
  audit: AuditScope;
  deadline: Deadline;
  /** The Lambda context (the function's own ARN); absent in process unless a caller gives one. */
  lambda?: LambdaInvocation;
}

/** One kind of audited invocation: a rotation function's steps, the emergency rotation, the monitor. */
export interface AuditedOperation<R extends AuditedResult> {
  kind: string;
  /** The step the audit line names before the body learns more (a rotation step once parsed). */
  step(event: unknown): string;
  run(event: unknown, invocation: Invocation): Promise<R>;
  /** After the audit line of a success (the emergency rotation announces it). */
  announce?(response: R & StepReport): Promise<void>;
}

interface Open {
  audit: AuditScope;
  deadline: InvocationDeadline;
  context: Partial<InvocationContext>;
  /** Forgets the secrets this invocation remembered: after its audit line and alert are out. */
  closeRedaction: () => void;
}

/** The scope each invocation opened, by its Lambda context: middleware and handler share it. */
const opened = new WeakMap<object, Open>();

function openOf(context: object): Open {
  const open = opened.get(context);
  if (!open) throw new Error('the auditing middleware did not run before the handler');
  return open;
}

function remainingMs(context: Partial<InvocationContext>): number | undefined {
  return typeof context.getRemainingTimeInMillis === 'function'
    ? context.getRemainingTimeInMillis()
    : undefined;
}

/** middy's own timeout: it rejects with this just before the deadline, outside the handler body. */
function isMiddyTimeout(error: unknown): boolean {
  const cause = error instanceof Error ? (error.cause as { package?: unknown } | undefined) : undefined;
  return error instanceof Error && error.name === 'TimeoutError' && cause?.package === '@middy/core';
}

/** The timeout, named for the 3 a.m. reader: which step of which secret, waiting for what, until when. */
function timeoutFailure(audit: AuditScope, deadline: InvocationDeadline) {
  const lambdaDeadline =
    deadline.lambdaDeadline === undefined ? 'unknown' : new Date(deadline.lambdaDeadline).toISOString();
  const waitingFor = deadline.lastWaitingFor ?? 'nothing yet (no network call had started)';
  const what = audit.secretName ?? audit.secretArn ?? 'an unidentified secret';
  audit.note({ waitingFor, deadline: lambdaDeadline });
  const error = new InvocationTimeoutError(
    `${audit.step} of ${what} ran out of time: stopped ${deadline.marginMs} ms before the Lambda deadline (${lambdaDeadline}) while waiting for ${waitingFor}`,
    {
      action:
        'Check that what it was waiting for answers from the function (VPC, subnets, security groups, the server itself); the step is retried. If the work is just slow, raise the function Timeout.',
    },
  );
  return { error, alert: { waitingFor, deadline: lambdaDeadline } };
}

/**
 * Auditing as a middy middleware, beside the Powertools ones: `before` opens the invocation's audit
 * scope and deadline, `after` closes it as succeeded, `onError` as failed, middy's TimeoutError
 * included. Exactly one audit line, one metric and (on failure) one alert, whatever happened.
 */
export function auditing<R extends AuditedResult>(operation: AuditedOperation<R>): MiddlewareObj<unknown, R> {
  return {
    before(request) {
      const context = request.context as Partial<InvocationContext>;
      const left = remainingMs(context);
      // First, so nothing a warm container remembered from another secret's invocation is scrubbed
      // from this one's messages.
      const closeRedaction = openRedactionScope();
      opened.set(request.context, {
        closeRedaction,
        audit: new AuditScope(operation.kind, operation.step(request.event), secretIdOf(request.event)),
        deadline: new InvocationDeadline(
          left === undefined ? undefined : Date.now() + left,
          DEADLINE_MARGIN_MS,
        ),
        context,
      });
    },
    async after(request) {
      const { audit, closeRedaction } = openOf(request.context);
      try {
        // The handler resolved with the body's result; the response is it with the audit report.
        const result = request.response as R;
        const response: R & StepReport = { ...result, ...audit.succeeded(result) };
        request.response = response;
        await operation.announce?.(response);
      } finally {
        closeRedaction();
      }
    },
    async onError(request) {
      const open = opened.get(request.context);
      if (!open) return;
      const { audit, deadline, context, closeRedaction } = open;
      try {
        request.error = await failInvocation(request.error, audit, deadline, context);
      } finally {
        closeRedaction();
      }
    },
  };
}

/** The failure's audit line, metric and alert; returns the scrubbed error to throw. */
async function failInvocation(
  failure: unknown,
  audit: AuditScope,
  deadline: InvocationDeadline,
  context: Partial<InvocationContext>,
): Promise<Error> {
  let error: unknown = failure;
  let alert = {};
  if (isMiddyTimeout(error)) {
    // The body may still be running: stop it, then report.
    deadline.expire();
    ({ error, alert } = timeoutFailure(audit, deadline));
  }
  const left = remainingMs(context);
  const signal = left === undefined ? undefined : AbortSignal.timeout(Math.max(1, left - FLUSH_RESERVE_MS));
  return audit.failed(error, { alert, ...(signal ? { signal } : {}) });
}

/**
 * The Lambda handler for an audited operation: the shared pipeline with the auditing middleware,
 * middy's timeout at the deadline margin, and the body run with the invocation's scope and deadline.
 */
export function auditedHandler<R extends AuditedResult>(operation: AuditedOperation<R>) {
  return withPowertools(
    (event: unknown, context: LambdaInvocation, { signal }: HandlerOptions) => {
      const { audit, deadline } = openOf(context);
      return operation.run(event, { audit, deadline: deadline.follow(signal), lambda: context });
    },
    { middlewares: [auditing(operation)], timeoutMarginMs: DEADLINE_MARGIN_MS },
  );
}

/**
 * The same operation in process (tests, scripts): the same audit line, metric and alert, with no
 * Lambda deadline unless one is given.
 */
export async function runAudited<R extends AuditedResult>(
  operation: AuditedOperation<R>,
  event: unknown,
  { deadline = noDeadline(), lambda }: { deadline?: Deadline; lambda?: LambdaInvocation | undefined } = {},
): Promise<R & StepReport> {
  const closeRedaction = openRedactionScope();
  try {
    const response = await audited(
      operation.kind,
      event,
      operation.step(event),
      (audit) => operation.run(event, { audit, deadline, ...(lambda ? { lambda } : {}) }),
      deadline,
    );
    await operation.announce?.(response);
    return response;
  } finally {
    closeRedaction();
  }
}
