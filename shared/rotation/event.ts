import * as z from 'zod/mini';
import { InvalidEventError } from '../errors';
import { describeIssues } from './secret-format';

/**
 * Length limits of every event string, from the Secrets Manager API: a SecretId is an ARN or a name
 * (at most 2048 characters, the ARN maximum), a ClientRequestToken 32 to 64 characters. The
 * RotationToken is opaque; 4096 is far above what the service sends. Unbounded, a 1 MB SecretId
 * became a 1 MB audit line and an SNS publish over the 256 KB limit, so no alert was sent at all.
 */
export const EVENT_LIMITS = {
  secretId: 2048,
  clientRequestToken: { min: 32, max: 64 },
  rotationToken: 4096,
  reason: 500,
} as const;

/** How much of an oversized value an error or audit line echoes. */
const ECHO_LIMIT = 200;

/**
 * A value fit to echo: itself when short enough, else its start and its length, so a log line, an
 * alert and its subject stay small whatever a caller sent.
 */
export function echoOf(value: string, max = EVENT_LIMITS.secretId): string {
  if (value.length <= max) return value;
  return `${value.slice(0, Math.min(max, ECHO_LIMIT))}... (truncated; ${value.length} characters)`;
}

export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

/** What Secrets Manager sends a rotation function. RotationToken is present for newer invocations. */
const RotationEventSchema = z.object({
  SecretId: z.string().check(z.minLength(1), z.maxLength(EVENT_LIMITS.secretId)),
  // Secrets Manager's ClientRequestToken: 32 to 64 characters (a UUID in practice).
  ClientRequestToken: z
    .string()
    .check(
      z.minLength(EVENT_LIMITS.clientRequestToken.min),
      z.maxLength(EVENT_LIMITS.clientRequestToken.max),
    ),
  Step: z.enum(ROTATION_STEPS),
  RotationToken: z.optional(z.string().check(z.minLength(1), z.maxLength(EVENT_LIMITS.rotationToken))),
});
export type RotationEvent = z.infer<typeof RotationEventSchema>;

export function parseRotationEvent(input: unknown): RotationEvent {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new InvalidEventError(
      'invalid rotation event: expected a JSON object with SecretId, ClientRequestToken and Step',
    );
  }
  const result = RotationEventSchema.safeParse(input);
  if (!result.success) {
    throw new InvalidEventError(
      `invalid rotation event: ${describeIssues(result.error.issues, input).join('; ')}`,
    );
  }
  return result.data;
}

/**
 * The SecretId of an event, if it has one, for alerts about events too broken to parse: cut short
 * when longer than any real SecretId.
 */
export function secretIdOf(input: unknown): string | undefined {
  if (input && typeof input === 'object' && 'SecretId' in input && typeof input.SecretId === 'string') {
    return echoOf(input.SecretId);
  }
  return undefined;
}

/**
 * Not from Secrets Manager: the emergency-rotate function sends this to a rotation function after
 * an emergency rotation, so the rotator that knows the target makes the previous credential stop
 * working now.
 */
const RevokeEventSchema = z.object({
  Action: z.literal('revokePrevious'),
  SecretId: z.string().check(z.minLength(1), z.maxLength(EVENT_LIMITS.secretId)),
  Reason: z.string().check(z.minLength(1), z.maxLength(EVENT_LIMITS.reason)),
  /** The version the caller means to revoke; refused when AWSPREVIOUS has moved on since. */
  PreviousVersionId: z.optional(z.string().check(z.minLength(32), z.maxLength(64))),
});
export type RevokeEvent = z.infer<typeof RevokeEventSchema>;

export function isRevokeEvent(input: unknown): boolean {
  return input !== null && typeof input === 'object' && 'Action' in input;
}

export function parseRevokeEvent(input: unknown): RevokeEvent {
  const result = RevokeEventSchema.safeParse(input);
  if (!result.success) {
    throw new InvalidEventError(
      `invalid revoke event: ${describeIssues(result.error.issues, input).join('; ')}`,
    );
  }
  return result.data;
}
