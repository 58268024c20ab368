/**
 * The time an invocation has left, as every network call sees it: a signal that fires at the
 * deadline margin (a moment before the Lambda deadline, when the function gives up and reports the
 * timeout), and a place to say what the invocation is waiting for right now.
 *
 * Every network call gets one (pg, ioredis, axios, the AWS SDK): when the signal fires, the call is
 * abandoned (socket closed, request aborted) instead of finishing after the function has already
 * failed, and the timeout alert names the last thing it waited for.
 */
export interface Deadline {
  readonly signal: AbortSignal;
  /**
   * Say what the invocation waits for from now on ("connecting to db.internal:5432", "Zoho token
   * endpoint", "Secrets Manager UpdateSecretVersionStage"). Throws once the deadline has passed, so
   * work that carries on after the timeout stops at its next call.
   */
  waitingFor(label: string): void;
}

/**
 * For callers outside an invocation (scripts, tests): never fires, remembers nothing. A fresh one
 * each time, so listeners added to its signal go away with it.
 */
export function noDeadline(): Deadline {
  return { signal: new AbortController().signal, waitingFor: () => undefined };
}

/**
 * The deadline of one invocation: the Lambda deadline, the margin before it at which `signal`
 * fires, and the last label waited for.
 */
export class InvocationDeadline implements Deadline {
  readonly #controller = new AbortController();
  #waitingFor: string | undefined;

  constructor(
    /** When the Lambda runtime ends the invocation (epoch ms), if known. */
    readonly lambdaDeadline: number | undefined,
    /** How long before `lambdaDeadline` the signal fires. */
    readonly marginMs: number,
  ) {}

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The last label given to `waitingFor`, for the timeout alert. */
  get lastWaitingFor(): string | undefined {
    return this.#waitingFor;
  }

  waitingFor(label: string): void {
    this.#controller.signal.throwIfAborted();
    this.#waitingFor = label;
  }

  /** Fire the signal: the invocation has run out of time (or another signal said so). */
  expire(): void {
    this.#controller.abort(new DOMException('the invocation reached its deadline margin', 'AbortError'));
  }

  /** Fire when `signal` does (middy's timeout signal for the handler). */
  follow(signal: AbortSignal): this {
    if (signal.aborted) this.expire();
    else signal.addEventListener('abort', () => this.expire(), { once: true });
    return this;
  }
}

/**
 * Run `onAbort` (close a socket, end a client) when the deadline fires while `work` runs; the
 * listener is removed once `work` settles, so a long-lived signal does not collect them.
 */
export async function untilDeadline<T>(
  deadline: Deadline,
  onAbort: () => void,
  work: () => Promise<T>,
): Promise<T> {
  const { signal } = deadline;
  signal.throwIfAborted();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await work();
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * The options of one AWS SDK call made within `deadline` (`client.send(command, options)`): the
 * call, its retries and their back-off stop when the deadline fires. `operation` is what the
 * invocation now waits for ("Secrets Manager UpdateSecretVersionStage").
 */
export function sdkCall(deadline: Deadline, operation: string): { abortSignal: AbortSignal } {
  deadline.waitingFor(operation);
  return { abortSignal: deadline.signal };
}
