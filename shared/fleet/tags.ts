/**
 * The tags the fleet runs on: what `npm run wire` writes, what the monitor and `npm run emergency`
 * select by, and what the template's grants key on. Changing one here changes it for all of them
 * (template.yaml spells the role tag and MONITOR_TAG_KEY literally; a test holds them together).
 */
export const SuiteTag = {
  /** `{org}-{env}` on every wired secret: the monitor finds the stack's secrets by it. */
  Suite: 'rotation-suite',
  /** The kind of a wired secret: postgres, redis, zoho-oauth, webhook-bearer or mcp-token. */
  Kind: 'rotation-suite:kind',
  /** The expected interval where the rotation rules cannot say it (Zoho's 45m, a cron schedule). */
  Interval: 'rotation-interval',
  /** On a master, ACL admin or client-credential secret: which function may read it (by tag). */
  Role: 'rotation-suite:role',
} as const;

/** The value of `rotation-suite:role` per referenced secret, as template.yaml grants it. */
export const SecretRole = {
  PostgresMaster: 'postgres-master',
  RedisAdmin: 'redis-admin',
  ZohoClient: 'zoho-client',
} as const;
export type SecretRole = (typeof SecretRole)[keyof typeof SecretRole];

/** The `rotation-suite` tag's value for a stack: `sergas-prod`. */
export const suiteTagValue = (stack: { org: string; env: string }) => `${stack.org}-${stack.env}`;
