import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { publishNotice } from '../../shared/observability/alerts';
import { audited } from '../../shared/rotation/audit';
import { type Assessment, assess } from './assess';
import { listSuiteSecrets } from './inventory';
import { type MonitorConfig, monitorConfigFromEnv } from './settings';

export interface MonitorSummary {
  checked: number;
  overdue: string[];
  stuck: string[];
  disabled: string[];
  unscheduled: string[];
  secrets: Assessment[];
}

/**
 * Publish one EMF line with exactly these dimensions (besides `service`): per secret (SecretName),
 * or suite-wide (none) for the alarms, which match on the exact dimension set.
 */
function publishMetrics(dimensions: Record<string, string>, values: Record<string, number>): void {
  const line = new Metrics({
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'SecretRotation',
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'rotation-monitor',
    defaultDimensions: dimensions,
  });
  for (const [name, value] of Object.entries(values)) line.addMetric(name, MetricUnit.Count, value);
  line.publishStoredMetrics();
}

function emitPerSecret(assessment: Assessment): void {
  publishMetrics(
    { SecretName: assessment.name },
    {
      RotationOverdue: assessment.overdue ? 1 : 0,
      RotationStuck: assessment.stuck ? 1 : 0,
      RotationDisabled: assessment.disabled ? 1 : 0,
      ...(assessment.hoursSinceRotation >= 0 ? { HoursSinceRotation: assessment.hoursSinceRotation } : {}),
    },
  );
}

/**
 * Daily: find the suite's secrets whose rotation is overdue, stuck or disabled; a metric per secret,
 * suite-wide totals for the alarms, and one SNS summary when anything is wrong.
 */
export async function runMonitor(config?: MonitorConfig, at?: Date): Promise<MonitorSummary> {
  let summary: MonitorSummary | undefined;
  await audited('monitor', {}, 'monitorRotations', async (audit) => {
    // Read inside the audited body, so a bad threshold is audited and alerted like any failure.
    const settings = config ?? monitorConfigFromEnv();
    const inventory = await listSuiteSecrets(settings);
    // Judge ages as of after the listing: no date it returned can then lie in the future.
    const now = at ?? new Date();
    const assessments = inventory.map((facts) => assess(facts, now, settings));
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
    publishMetrics(
      {},
      {
        MonitoredSecrets: summary.checked,
        OverdueSecrets: summary.overdue.length,
        StuckSecrets: summary.stuck.length,
        DisabledSecrets: summary.disabled.length,
      },
    );
    audit.note({
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
