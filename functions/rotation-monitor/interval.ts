/** How often a secret is expected to rotate, in milliseconds. */
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const UNIT_MS: Record<string, number> = { s: SECOND, m: MINUTE, h: HOUR, d: DAY };

/** "45m", "4h", "90d" (also "30s", for tests): the `rotation-interval` tag's format. */
export function parseIntervalTag(value: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$/i.exec(value);
  if (!match) return undefined;
  return Number(match[1]) * (UNIT_MS[(match[2] ?? '').toLowerCase()] ?? Number.NaN);
}

/** Secrets Manager's `rate(N hours|days)` schedule expressions. Cron schedules are not interpreted. */
export function parseRateExpression(expression: string): number | undefined {
  const match = /^rate\(\s*(\d+)\s+(hour|hours|day|days)\s*\)$/i.exec(expression.trim());
  if (!match) return undefined;
  return Number(match[1]) * (match[2]?.toLowerCase().startsWith('hour') ? HOUR : DAY);
}

export interface ScheduleFacts {
  intervalTag?: string;
  automaticallyAfterDays?: number;
  scheduleExpression?: string;
}

/**
 * The expected rotation interval: the `rotation-interval` tag wins (Zoho rotates every 45 minutes
 * through EventBridge Scheduler, which Secrets Manager's own rules cannot express), then the
 * secret's rotation rules. Undefined when nothing says.
 */
export function expectedIntervalMs(facts: ScheduleFacts): number | undefined {
  const fromTag = facts.intervalTag ? parseIntervalTag(facts.intervalTag) : undefined;
  if (fromTag) return fromTag;
  if (facts.automaticallyAfterDays) return facts.automaticallyAfterDays * DAY;
  return facts.scheduleExpression ? parseRateExpression(facts.scheduleExpression) : undefined;
}
