/**
 * Keeps secret values out of every log line, error message, metric and alert.
 *
 * Two nets, because either alone leaks:
 * - by key: any field whose name says it holds a credential is replaced wholesale;
 * - by value: every secret value the invocation has read or generated is remembered (in memory
 *   only) and scrubbed from any string: the value, any fragment of it of FRAGMENT_LENGTH characters
 *   or more, and its URL-, form-, JSON- and base64-encoded forms (secret-forms.ts). A whole secret
 *   document (a SecretString) is scrubbed as a whole too.
 *
 * What is remembered belongs to one invocation: the core's pipeline opens a scope when an
 * invocation starts and forgets everything when it ends, so a value of one secret never erases
 * words from another secret's messages. A value shorter than FRAGMENT_LENGTH cannot be scrubbed
 * without erasing ordinary words (a password "postgres" would erase the word postgres): it is not
 * scrubbed but marked weak, and while a weak value is in play no target's response text is quoted
 * (quoteTarget) and the audit line warns.
 */
import { encodedForms } from './secret-forms';

const REDACTED = '[REDACTED]';

/** Field names that hold credentials. Matches `password`, `masterPassword`, `refresh_token`, `Authorization`... */
const SENSITIVE_KEY =
  /(pass(word|wd)?|pwd|secret(string|binary)?|token|authorization|api_?key|credentials?|verifier|private_?key|cookie)$/i;

/**
 * No fragment of a secret this long may appear anywhere; values shorter than this are weak. Every
 * generated token (256 bits, 43+ characters) and password (policy length, 32 by default) is longer.
 */
export const FRAGMENT_LENGTH = 12;
/** A bound, for a caller outside the pipeline (a long-lived process) that never closes a scope. */
const MAX_REMEMBERED = 4096;

/** Secret values (and documents), oldest first. */
const values = new Set<string>();
/** Whole documents, scrubbed whole (longest first) before fragments are looked for. */
const documents = new Set<string>();
/** Every FRAGMENT_LENGTH-character window of every form of every remembered value. */
let windows = new Set<string>();
let documentsLongestFirst: string[] | undefined;
/** The weak values (too short to scrub) in play in this invocation; kept only to count them. */
const weakValues = new Set<string>();
/** Open invocation scopes: nested in-process invocations share their outermost one's memory. */
let openScopes = 0;

function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key);
}

/**
 * Public prefixes of credential formats: a window inside one is not secret, and scrubbing it would
 * erase the format's name from ordinary messages ("a SCRAM-SHA-256 verifier").
 */
const PUBLIC_PREFIX = /^SCRAM-SHA-256\$\d+:/;

function addWindows(raw: string): void {
  const value = raw.replace(PUBLIC_PREFIX, '');
  for (const form of encodedForms(value)) {
    for (let i = 0; i + FRAGMENT_LENGTH <= form.length; i += 1)
      windows.add(form.slice(i, i + FRAGMENT_LENGTH));
  }
}

function evictOldest(): void {
  const oldest = values.values().next().value;
  if (oldest === undefined) return;
  values.delete(oldest);
  documents.delete(oldest);
  documentsLongestFirst = undefined;
  windows = new Set();
  for (const value of values) addWindows(value);
}

/**
 * Remember a secret value so that no later log line, error or alert of this invocation can carry it
 * or a fragment or encoding of it. A non-empty value shorter than FRAGMENT_LENGTH is counted as weak.
 */
export function rememberSecret(value: string | undefined): void {
  if (!value) return;
  if (value.length < FRAGMENT_LENGTH) {
    weakValues.add(value);
    return;
  }
  if (values.has(value)) return;
  if (values.size >= MAX_REMEMBERED) evictOldest();
  values.add(value);
  addWindows(value);
}

/**
 * Remember a whole secret document (a SecretString): scrubbed whole wherever it appears, and when
 * it is JSON, every value under a sensitive key is remembered as a secret. The document's other
 * parts (hosts, user names, key names) are not fragments to erase.
 */
export function rememberDocument(raw: string | undefined): void {
  if (!raw) return;
  if (raw.length >= FRAGMENT_LENGTH && !documents.has(raw)) {
    documents.add(raw);
    documentsLongestFirst = undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // Not JSON: a plain-text secret is a value of its own.
    rememberSecret(raw);
    return;
  }
  if (typeof parsed === 'string') rememberSecret(parsed);
  else walk(parsed, false);
}

/**
 * Remember every credential-looking string inside a parsed secret (values under sensitive keys),
 * plus the raw SecretString itself.
 */
export function rememberSecretFields(value: unknown, raw?: string): void {
  if (raw !== undefined) rememberDocument(raw);
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

/** The [start, end) spans of `text` that are a remembered window, merged. */
function secretSpans(text: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  for (let i = 0; i + FRAGMENT_LENGTH <= text.length; i += 1) {
    if (!windows.has(text.slice(i, i + FRAGMENT_LENGTH))) continue;
    const end = i + FRAGMENT_LENGTH;
    const last = spans.at(-1);
    if (last && i <= last[1]) last[1] = end;
    else spans.push([i, end]);
  }
  return spans;
}

/** Replace every remembered secret, fragment of one and encoded form of one inside `text`. */
export function scrub(text: string): string {
  if (text.length < FRAGMENT_LENGTH || (windows.size === 0 && documents.size === 0)) return text;
  documentsLongestFirst ??= [...documents].sort((a, b) => b.length - a.length);
  let result = text;
  for (const document of documentsLongestFirst) {
    if (result.includes(document)) result = result.split(document).join(REDACTED);
  }
  if (windows.size === 0) return result;
  const spans = secretSpans(result);
  if (spans.length === 0) return result;
  let out = '';
  let from = 0;
  for (const [start, end] of spans) {
    out += `${result.slice(from, start)}${REDACTED}`;
    from = end;
  }
  return out + result.slice(from);
}

/**
 * Text from a target (an error body, a WWW-Authenticate description, a JSON-RPC error message),
 * fit to quote in an error: scrubbed first, then cut to `max` characters, so the cut can never
 * leave a part of a value that scrubbing would have recognised whole; a marker cut in two is
 * dropped. Withheld entirely while a weak value is in play, since that value cannot be scrubbed.
 */
export function quoteTarget(text: string, max: number): string {
  if (weakValues.size > 0) return '(response text withheld: a weak credential is in play)';
  const clean = scrub(text);
  if (clean.length <= max) return clean;
  let cut = clean.slice(0, max);
  const partialMarker = cut.lastIndexOf('[');
  if (
    partialMarker >= 0 &&
    REDACTED.startsWith(cut.slice(partialMarker)) &&
    cut.slice(partialMarker) !== REDACTED
  ) {
    cut = `${cut.slice(0, partialMarker)}${REDACTED}`;
  }
  return `${cut}...`;
}

/** How many values too short to scrub are in play in this invocation (for the audit line's warning). */
export function weakSecretsInPlay(): number {
  return weakValues.size;
}

/**
 * A redaction scope for one invocation: what was remembered before is forgotten when the outermost
 * scope opens, and what the invocation remembered is forgotten when it closes. Returns the close.
 */
export function openRedactionScope(): () => void {
  if (openScopes === 0) forgetSecrets();
  openScopes += 1;
  let closed = false;
  return () => {
    if (closed) return;
    closed = true;
    openScopes -= 1;
    if (openScopes === 0) forgetSecrets();
  };
}

/**
 * The longest string a log line or alert carries: a driver's error with a huge detail must not make
 * a line CloudWatch splits or an SNS message over its 256 KB limit (which would lose the alert).
 */
export const MAX_SERIALIZED_STRING = 8192;

/**
 * A JSON.stringify replacer: redacts sensitive keys, scrubs every string, then bounds its length
 * (scrubbed first, so the cut cannot leave part of a value). Used by the logger and by anything
 * else that serialises for the outside world (alerts).
 */
export function redactingReplacer(key: string, value: unknown): unknown {
  if (key !== '' && isSensitiveKey(key) && value !== undefined && value !== null && value !== '') {
    return REDACTED;
  }
  if (typeof value !== 'string') return value;
  const clean = scrub(value);
  return clean.length > MAX_SERIALIZED_STRING
    ? `${clean.slice(0, MAX_SERIALIZED_STRING)}... (truncated; ${clean.length} characters)`
    : clean;
}

/** Forget everything remembered. The invocation scope does it; tests do too. */
export function forgetSecrets(): void {
  values.clear();
  documents.clear();
  windows = new Set();
  documentsLongestFirst = undefined;
  weakValues.clear();
}
