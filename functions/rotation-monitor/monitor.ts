import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { publishNotice } from '../../shared/observability/alerts';
import { metrics } from '../../shared/observability/metrics';
import { audited } from '../../shared/rotation/audited';
import { type Assessment, assess, type MonitorThresholds } from './assess';
import { listSuiteSecrets, type InventoryOptions } from './inventory';

export interface MonitorConfig extends MonitorThresholds, InventoryOptions {}

export function monitorConfigFromEnv(env: NodeJS.ProcessEnv = process.env): MonitorConfig {
  return {
    tagKey: env.MONITOR_TAG_KEY ?? 'rotation-suite',
    ...(env.MONITOR_TAG_VALUE ? { tagValue: env.MONITOR_TAG_VALUE } : {}),
    overdueGraceMs: Number(env.OVERDUE_GRACE_HOURS ?? 24) * 3_600_000,
    stuckAfterMs: Number(env.STUCK_AFTER_MINUTES ?? 180) * 60_000,
  };
}

export interface MonitorSummary {
  checked: number;
  overdue: string[];
  stuck: string[];
  disabled: string[];
  unscheduled: string[];
  secrets: Assessment[];
}

/** One metric line per secret (dimension SecretName), so each has its own graph and alarm. */
function emitPerSecret(assessment: Assessment): void {
  const perSecret = new Metrics({
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'SecretRotation',
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'rotation-monitor',
    defaultDimensions: { SecretName: assessment.name },
  });
  perSecret.addMetric('RotationOverdue', MetricUnit.Count, assessment.overdue ? 1 : 0);
  perSecret.addMetric('RotationStuck', MetricUnit.Count, assessment.stuck ? 1 : 0);
  perSecret.addMetric('RotationDisabled', MetricUnit.Count, assessment.disabled ? 1 : 0);
  if (assessment.hoursSinceRotation >= 0) {
    perSecret.addMetric('HoursSinceRotation', MetricUnit.Count, assessment.hoursSinceRotation);
  }
  perSecret.publishStoredMetrics();
}

/**
 * Daily: find the suite's secrets whose rotation is overdue, stuck or disabled; a metric per secret,
 * suite-wide totals for the alarms, and one SNS summary when anything is wrong.
 */
export async function runMonitor(
  config: MonitorConfig = monitorConfigFromEnv(),
  now = new Date(),
): Promise<MonitorSummary> {
  let summary: MonitorSummary | undefined;
  await audited('monitor', {}, 'monitorRotations', async (audit) => {
    const assessments = (await listSuiteSecrets(config)).map((facts) => assess(facts, now, config));
    const names = (pick: (a: Assessment) => boolean) => assessments.filter(pick).map((a) => a.name);
    summary = {
      checked: assessments.length,
      overdue: names((a) => a.overdue),
      stuck: names((a) => a.stuck),
      disabled: names((a) => a.disabled),
      unscheduled: names((a) => a.unscheduled),
      secrets: assessments,
    };
    assessments.forEach(emitPerSecret);
    metrics.addMetric('MonitoredSecrets', MetricUnit.Count, summary.checked);
    metrics.addMetric('OverdueSecrets', MetricUnit.Count, summary.overdue.length);
    metrics.addMetric('StuckSecrets', MetricUnit.Count, summary.stuck.length);
    metrics.addMetric('DisabledSecrets', MetricUnit.Count, summary.disabled.length);
    Object.assign(audit, {
      checked: summary.checked,
      overdue: summary.overdue.length,
      stuck: summary.stuck.length,
      disabled: summary.disabled.length,
    });

    const troubled = assessments.filter((a) => a.problems.length > 0);
    if (troubled.length > 0) {
      await publishNotice(
        `Rotation monitor: ${troubled.length} of ${assessments.length} secrets need attention`,
        {
          type: 'rotation-monitor',
          checkedAt: now.toISOString(),
          problems: troubled.map((a) => ({ secretName: a.name, secretArn: a.arn, problems: a.problems })),
        },
      );
    }
    return {
      outcome: 'succeeded',
      detail:
        troubled.length === 0
          ? `all ${assessments.length} secrets healthy`
          : `${troubled.length} secrets need attention`,
    };
  });
  return summary as MonitorSummary;
}
