import * as z from 'zod/mini';
import { InvalidEventError } from '../errors';
import { describeIssues } from './secret-format';

export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

/** What Secrets Manager sends a rotation function. RotationToken is present for newer invocations. */
const RotationEventSchema = z.object({
  SecretId: z.string().check(z.minLength(1)),
  // Secrets Manager's ClientRequestToken: 32 to 64 characters (a UUID in practice).
  ClientRequestToken: z.string().check(z.minLength(32), z.maxLength(64)),
  Step: z.enum(ROTATION_STEPS),
  RotationToken: z.optional(z.string().check(z.minLength(1))),
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

/** The SecretId of an event, if it has one, for alerts about events too broken to parse. */
export function secretIdOf(input: unknown): string | undefined {
  if (input && typeof input === 'object' && 'SecretId' in input && typeof input.SecretId === 'string') {
    return input.SecretId;
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
  SecretId: z.string().check(z.minLength(1)),
  Reason: z.string().check(z.minLength(1), z.maxLength(500)),
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
