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
  /**
   * Ours: setSecret has asked the target to accept this version's credential, where the target
   * cannot show whether it already did (ElastiCache and MemoryDB list a user's password count, never
   * its passwords). A rerun of setSecret that finds the label on its version does not ask again;
   * finishSecret takes it off before promoting the version.
   */
  SetRequested: 'ROTATION_SET_REQUESTED',
} as const;
export type Stage = (typeof Stage)[keyof typeof Stage];
