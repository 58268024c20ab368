import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { publishNotice } from '../../shared/observability/alerts';
import { logger } from '../../shared/observability/logger';
import type { AuditedResult } from '../../shared/rotation/audit';
import { type AuditedOperation, type Invocation, runAudited } from '../../shared/rotation/auditing';
import { type Assessment, assess } from './assess';
import { type InventoryOptions, listSuiteSecrets } from './inventory';
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

type MonitorResult = MonitorSummary & AuditedResult;

/**
 * Daily: find the suite's secrets whose rotation is overdue, stuck or disabled; a metric per secret,
 * suite-wide totals for the alarms, and one SNS summary when anything is wrong.
 */
export function monitorOperation(config?: MonitorConfig, at?: Date): AuditedOperation<MonitorResult> {
  return {
    kind: 'monitor',
    step: () => 'monitorRotations',
    run: (_event, invocation) => monitor(invocation, config, at),
  };
}

/** The monitor in process (tests): audited like the handler's; returns the summary. */
export async function runMonitor(config?: MonitorConfig, at?: Date): Promise<MonitorSummary> {
  const { checked, overdue, stuck, disabled, unscheduled, secrets } = await runAudited(
    monitorOperation(config, at),
    {},
  );
  return { checked, overdue, stuck, disabled, unscheduled, secrets };
}

async function monitor(
  { audit, deadline }: Invocation,
  config: MonitorConfig | undefined,
  at: Date | undefined,
): Promise<MonitorResult> {
  // Read inside the audited body, so a bad threshold is audited and alerted like any failure.
  const settings = config ?? monitorConfigFromEnv();
  const inventory = await listSuiteSecrets(settings, deadline, {
    now: at ?? new Date(),
    stuckAfterMs: settings.stuckAfterMs,
  });
  // Judge ages as of after the listing: no date it returned can then lie in the future.
  const now = at ?? new Date();
  const assessments = inventory.map((facts) => assess(facts, now, settings));
  const names = (pick: (a: Assessment) => boolean) => assessments.filter(pick).map((a) => a.name);
  const summary: MonitorSummary = {
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
      NoSecretsFound: summary.checked === 0 ? 1 : 0,
    },
  );
  audit.note({
    checked: summary.checked,
    overdue: summary.overdue.length,
    stuck: summary.stuck.length,
    disabled: summary.disabled.length,
  });
  if (summary.checked === 0) return { ...summary, ...(await warnNothingFound(settings, now, deadline)) };

  const troubled = assessments.filter((a) => a.problems.length > 0);
  if (troubled.length > 0) {
    await publishNotice(
      `Rotation monitor: ${troubled.length} of ${assessments.length} secrets need attention`,
      {
        type: 'rotation-monitor',
        checkedAt: now.toISOString(),
        problems: troubled.map((a) => ({ secretName: a.name, secretArn: a.arn, problems: a.problems })),
      },
      deadline.signal,
    );
  }
  return {
    ...summary,
    outcome: 'succeeded',
    detail:
      troubled.length === 0
        ? `all ${assessments.length} secrets healthy`
        : `${troubled.length} secrets need attention`,
  };
}

/**
 * An estate with no secret found is not a healthy one: the tag is missing, misspelt or carries
 * another environment's value, and every overdue rotation would go unseen. Say so in a warning
 * line, the NoSecretsFound metric (set by the caller) and an SNS notice.
 */
async function warnNothingFound(inventory: InventoryOptions, now: Date, deadline: Invocation['deadline']) {
  const filter = `${inventory.tagKey}=${inventory.tagValue ?? '*'}`;
  const action =
    `Tag each secret of the suite ${filter} (docs/operations.md, "Tag the secrets"), or correct ` +
    'MONITOR_TAG_KEY / MONITOR_TAG_VALUE if the secrets carry another tag.';
  logger.warn(`rotation monitor found no secret tagged ${filter}: nothing was checked`, {
    monitor: { tagKey: inventory.tagKey, tagValue: inventory.tagValue, action },
  });
  await publishNotice(
    `Rotation monitor: no secret found tagged ${filter}`,
    {
      type: 'rotation-monitor',
      checkedAt: now.toISOString(),
      checked: 0,
      problem: `no secret is tagged ${filter}, so no rotation was checked`,
      action,
    },
    deadline.signal,
  );
  return { outcome: 'succeeded' as const, detail: `no secret found tagged ${filter}: nothing was checked` };
}
