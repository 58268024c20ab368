import { numberFromEnv } from '../../shared/config/env';
import { SuiteTag } from '../../shared/fleet/tags';
import type { MonitorThresholds } from './assess';
import type { InventoryOptions } from './inventory';

export interface MonitorConfig extends MonitorThresholds, InventoryOptions {}

export function monitorConfigFromEnv(env: NodeJS.ProcessEnv = process.env): MonitorConfig {
  return {
    tagKey: env.MONITOR_TAG_KEY ?? SuiteTag.Suite,
    ...(env.MONITOR_TAG_VALUE ? { tagValue: env.MONITOR_TAG_VALUE } : {}),
    // Up to a year each: a NaN threshold would make every comparison false and hide every problem.
    overdueGraceMs:
      numberFromEnv('OVERDUE_GRACE_HOURS', 24, { min: 0, max: 8_760, unit: 'hours' }, env) * 3_600_000,
    stuckAfterMs:
      numberFromEnv('STUCK_AFTER_MINUTES', 180, { min: 0, max: 525_600, unit: 'minutes' }, env) * 60_000,
  };
}
