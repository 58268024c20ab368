/** Secrets Manager's staging labels, spelled once. */
export const Stage = {
  Current: 'AWSCURRENT',
  Pending: 'AWSPENDING',
  Previous: 'AWSPREVIOUS',
  /**
   * Ours, not the service's: the pending version of a rotation an emergency rotation had to abandon.
   * Its setSecret may already have applied it to the target (a single user's new password, a
   * webhook sender's new token), so the next rotation can still log in with it.
   */
  Abandoned: 'ROTATION_ABANDONED',
} as const;
export type Stage = (typeof Stage)[keyof typeof Stage];
