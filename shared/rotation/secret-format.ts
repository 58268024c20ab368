import type * as z from 'zod/mini';
import { SecretFormatError } from '../errors';

/**
 * Turn schema issues into sentences naming the key: "`port` must be an integer between 1 and 65535".
 * The offending value is never quoted: it may be the secret itself.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[], input: unknown): string[] {
  return issues.map((issue) => {
    const key = issue.path.length > 0 ? `\`${issue.path.map(String).join('.')}\`` : 'the value';
    switch (issue.code) {
      case 'invalid_type':
        return valueAt(input, issue.path) === undefined
          ? `${key} is required`
          : `${key} must be ${article(issue.expected)}`;
      case 'invalid_value':
        return `${key} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
      case 'too_small':
        return issue.origin === 'string'
          ? `${key} must not be empty${Number(issue.minimum) > 1 ? ` (at least ${issue.minimum} characters)` : ''}`
          : `${key} must be at least ${issue.minimum}`;
      case 'too_big':
        return issue.origin === 'string'
          ? `${key} must be at most ${issue.maximum} characters`
          : `${key} must be at most ${issue.maximum}`;
      case 'invalid_format':
        return `${key} must be a valid ${issue.format}`;
      case 'unrecognized_keys':
        return `unknown key(s) ${issue.keys.map((k) => `\`${k}\``).join(', ')}`;
      case 'custom':
        return `${key} ${issue.message}`;
      default:
        return `${key} is invalid`;
    }
  });
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let node = input;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return node;
}

/**
 * A rotator's `parse`, built from a schema: returns the typed value or throws a SecretFormatError
 * listing every problem. The core adds which secret and version it was reading.
 */
export function parserFor<S>(schema: z.ZodMiniType<S>, kind: string): (value: unknown) => S {
  return (value) => {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    const problems = describeIssues(result.error.issues, value);
    throw new SecretFormatError(`not a valid ${kind} secret: ${problems.join('; ')}`, problems);
  };
}
