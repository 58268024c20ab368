/**
 * Keeps secret values out of every log line, error message and alert.
 *
 * Two nets, because either alone leaks:
 * - by key: any field whose name says it holds a credential is replaced wholesale;
 * - by value: every secret value the function has read or generated is remembered (in memory only)
 *   and scrubbed from any string, wherever it appears (an error message from a driver, a URL, a form
 *   body inside an HTTP error...).
 */

const REDACTED = '[REDACTED]';

/** Field names that hold credentials. Matches `password`, `masterPassword`, `refresh_token`, `Authorization`... */
const SENSITIVE_KEY =
  /(pass(word|wd)?|pwd|secret(string|binary)?|token|authorization|api_?key|credentials?|verifier|private_?key|cookie)$/i;

/** Short strings (a port, "postgres") would scrub half of every log line; real secrets are longer. */
const MIN_SCRUB_LENGTH = 6;
/** A bound, so a long-lived warm container cannot grow this without limit. */
const MAX_REMEMBERED = 512;

const remembered = new Set<string>();
/** `remembered`, longest first, so a value containing another is fully scrubbed; rebuilt lazily. */
let longestFirst: string[] | undefined;

function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key);
}

/** Remember a secret value so that no later log line, error or alert can carry it. */
export function rememberSecret(value: string | undefined): void {
  if (!value || value.length < MIN_SCRUB_LENGTH) return;
  if (remembered.has(value)) return;
  if (remembered.size >= MAX_REMEMBERED) {
    const oldest = remembered.values().next().value;
    if (oldest !== undefined) remembered.delete(oldest);
  }
  remembered.add(value);
  longestFirst = undefined;
  // A value can reach a message in encoded form: in a URL, a form body, a JSON string.
  for (const variant of [encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]) {
    if (variant !== value && variant.length >= MIN_SCRUB_LENGTH) remembered.add(variant);
  }
}

/**
 * Remember every credential-looking string inside a parsed secret (values under sensitive keys),
 * plus the raw SecretString itself.
 */
export function rememberSecretFields(value: unknown, raw?: string): void {
  rememberSecret(raw);
  walk(value, false);
}

function walk(value: unknown, underSensitiveKey: boolean): void {
  if (typeof value === 'string') {
    if (underSensitiveKey) rememberSecret(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) walk(item, underSensitiveKey);
    return;
  }
  if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) walk(child, underSensitiveKey || isSensitiveKey(key));
  }
}

/** Replace every remembered secret inside `text`. */
export function scrub(text: string): string {
  if (remembered.size === 0 || text.length < MIN_SCRUB_LENGTH) return text;
  longestFirst ??= [...remembered].sort((a, b) => b.length - a.length);
  let result = text;
  for (const secret of longestFirst) {
    if (result.includes(secret)) result = result.split(secret).join(REDACTED);
  }
  return result;
}

/**
 * A JSON.stringify replacer: redacts sensitive keys and scrubs every string. Used by the logger and
 * by anything else that serialises for the outside world (alerts).
 */
export function redactingReplacer(key: string, value: unknown): unknown {
  if (key !== '' && isSensitiveKey(key) && value !== undefined && value !== null && value !== '') {
    return REDACTED;
  }
  return typeof value === 'string' ? scrub(value) : value;
}

/** Forget everything remembered. Tests use it; a function never needs to. */
export function forgetSecrets(): void {
  remembered.clear();
  longestFirst = undefined;
}
