import * as z from 'zod/mini';
import { InvalidEventError } from '../../shared/errors';
import { EVENT_LIMITS } from '../../shared/rotation/event';
import { describeIssues } from '../../shared/rotation/secret-format';

/** What an operator sends: which secret, why (mandatory, it goes to the audit trail), and whether to revoke. */
const EmergencyInputSchema = z.object({
  secretId: z.string().check(z.minLength(1), z.maxLength(EVENT_LIMITS.secretId)),
  reason: z.string().check(z.trim(), z.minLength(3), z.maxLength(EVENT_LIMITS.reason)),
  revokePrevious: z.optional(z.boolean()),
  // false: no success notice of its own, because the caller sends one summary for many secrets
  // (`npm run emergency --match`). Failures alert either way, and the audit line is always written.
  announce: z.optional(z.boolean()),
});
export type EmergencyInput = z.infer<typeof EmergencyInputSchema>;

export function parseEmergencyInput(input: unknown): EmergencyInput {
  const result = EmergencyInputSchema.safeParse(input);
  if (!result.success) {
    throw new InvalidEventError(
      `invalid emergency rotation request: ${describeIssues(result.error.issues, input).join('; ')}` +
        ' (expected { "secretId": "...", "reason": "...", "revokePrevious": true|false, "announce": true|false })',
    );
  }
  return result.data;
}
