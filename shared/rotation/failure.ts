import { scrub, weakSecretsInPlay } from '../observability/redaction';
import { RotationError } from '../errors';

export interface FailureSummary {
  errorClass: string;
  message: string;
  retryable: boolean;
  action?: string;
}

/** The facts about a failure that are safe to log, alert and return: scrubbed of every known secret. */
export function summarizeFailure(error: unknown): FailureSummary {
  if (error instanceof RotationError) {
    return {
      errorClass: error.name,
      message: scrub(error.message),
      retryable: error.retryable,
      ...(error.action ? { action: scrub(error.action) } : {}),
    };
  }
  const errorClass = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : String(error);
  // Unknown errors are usually transient (a throttled API, a dropped connection): let retries try.
  return { errorClass, message: withheldWhileWeak(scrub(message)), retryable: true };
}

const WITHHELD = '(message withheld: a weak credential is in play, see docs/security.md)';

/**
 * An unexpected error's text is usually a driver's or a server's own words, which can quote what
 * it was sent; while a value too short to scrub is in play it is not copied anywhere. The suite's
 * own typed errors never quote a value and keep their messages.
 */
function withheldWhileWeak(message: string): string {
  return weakSecretsInPlay() > 0 ? WITHHELD : message;
}

/** The error as the audit line may log it: an unexpected one loses its text while a weak value is in play. */
export function loggableError(error: unknown): unknown {
  if (error instanceof RotationError || weakSecretsInPlay() === 0) return error;
  return sanitizeForRuntime(error);
}

/**
 * Make an error safe to hand to the Lambda runtime, which prints it and returns it to the caller.
 * Message and stack are scrubbed; driver-specific fields (an HTTP client's request config with its
 * headers and body, a database error's connection details) are dropped. The audit line has already
 * logged them through the redacting logger.
 */
export function sanitizeForRuntime(error: unknown): Error {
  const safe = error instanceof Error ? error : new Error(String(error));
  const keep = new Set(['name', 'message', 'stack', 'retryable', 'action', 'problems']);
  for (const key of Object.keys(safe)) {
    if (!keep.has(key)) Reflect.deleteProperty(safe, key);
  }
  Reflect.deleteProperty(safe, 'cause');
  if (!(safe instanceof RotationError) && weakSecretsInPlay() > 0) {
    safe.message = WITHHELD;
    safe.stack = `${safe.name}: ${WITHHELD}`;
    return safe;
  }
  safe.message = scrub(safe.message);
  if (safe.stack) safe.stack = scrub(safe.stack);
  return safe;
}
