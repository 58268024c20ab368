import { ListSecretsCommand, type SecretListEntry } from '@aws-sdk/client-secrets-manager';
import {
  assess,
  type FailureFacts,
  type MonitorThresholds,
  type RotationState,
} from '../../functions/rotation-monitor/assess';
import { toFacts } from '../../functions/rotation-monitor/inventory';
import { SuiteTag } from '../../shared/fleet/tags';
import { secretsManager } from '../../shared/secrets/client';
import { Stage } from '../../shared/secrets/stages';
import {
  emergencyFunctionName,
  kindOfRotationArn,
  rotationFunctionName,
  rotationKinds,
  type Stack,
} from '../suite';
import { readAuditFailures } from './audit-failures';

/** One row of `npm run status`: a secret wired to one of the stack's rotation functions. */
export interface SecretStatus {
  kind: string;
  name: string;
  arn: string;
  environment: string;
  /** `rate(90 days)`, `every 30 days`, `every 45m (tag)`, or `-` when nothing says. */
  schedule: string;
  /** The rotation window (RotationRules.Duration), `-` when none is set. */
  window: string;
  lastRotated?: string;
  nextRotation?: string;
  state: RotationState;
  /** The step an open rotation failed at, when stuck and the audit says. */
  stuckAt?: string;
  problems: string[];
  /** The newest failed audit line that still matters (not of a rotation that completed since). */
  lastFailure?: Omit<FailureFacts, 'at'> & { at: string };
}

export interface EstateReport {
  checkedAt: string;
  stack: Stack;
  /** The rotation functions whose secrets are listed. */
  functions: string[];
  secrets: SecretStatus[];
  counts: Record<RotationState, number>;
  warnings: string[];
}

export interface EstateOptions {
  stack: Stack;
  thresholds: MonitorThresholds;
  /** How far back to look for failed audit lines; undefined skips the logs. */
  auditSince?: Date;
  now?: () => Date;
}

const SEVERITY: RotationState[] = ['stuck', 'overdue', 'disabled', 'rotating', 'ok'];

/** Every secret in the account (a page is 100), kept when its rotation function is one of the stack's. */
async function wiredSecrets(stack: Stack): Promise<{ entry: SecretListEntry; kind: string }[]> {
  const wired: { entry: SecretListEntry; kind: string }[] = [];
  let nextToken: string | undefined;
  do {
    const page = await secretsManager().send(
      new ListSecretsCommand({ MaxResults: 100, NextToken: nextToken }),
    );
    for (const entry of page.SecretList ?? []) {
      const kind = kindOfRotationArn(stack, entry.RotationLambdaARN);
      if (kind) wired.push({ entry, kind });
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return wired;
}

/** `{org}/{component}/{env}/{type}`'s env, else the `rotation-suite` tag's `{org}-{env}`. */
function environmentOf(entry: SecretListEntry, stack: Stack): string {
  const segments = (entry.Name ?? '').split('/');
  if (segments.length === 4 && segments[0] === stack.org && segments[2]) return segments[2];
  const suiteTag = entry.Tags?.find((tag) => tag.Key === SuiteTag.Suite)?.Value;
  return suiteTag?.startsWith(`${stack.org}-`) ? suiteTag.slice(stack.org.length + 1) : '-';
}

function scheduleOf(entry: SecretListEntry): { schedule: string; window: string } {
  const rules = entry.RotationRules;
  const tag = entry.Tags?.find((t) => t.Key === SuiteTag.Interval)?.Value;
  const schedule = tag
    ? `every ${tag} (tag)`
    : rules?.ScheduleExpression
      ? rules.ScheduleExpression
      : rules?.AutomaticallyAfterDays
        ? `every ${rules.AutomaticallyAfterDays} days`
        : '-';
  return { schedule, window: rules?.Duration ?? '-' };
}

/**
 * A failure matters while nothing has superseded it: hidden once its version became AWSCURRENT (that
 * rotation completed after all), or when it is older than the last completed rotation.
 */
function stillMatters(failure: FailureFacts, entry: SecretListEntry): boolean {
  const current = Object.entries(entry.SecretVersionsToStages ?? {}).find(([, labels]) =>
    labels.includes(Stage.Current),
  )?.[0];
  if (failure.version !== undefined && failure.version === current) return false;
  return !entry.LastRotatedDate || failure.at >= entry.LastRotatedDate;
}

/**
 * The whole estate of one stack: every secret wired to its rotation functions, each judged by the
 * monitor's own assessment, with the last failure from the audit trail. A handful of calls: the
 * ListSecrets pages, ListSecretVersionIds only for a secret whose pending version may be stuck, one
 * FilterLogEvents query per function.
 */
export async function readEstate(options: EstateOptions): Promise<EstateReport> {
  const { stack } = options;
  const kinds = rotationKinds();
  const functions = kinds.map((kind) => rotationFunctionName(stack, kind));
  const warnings: string[] = [];

  const [wired, failures] = await Promise.all([
    wiredSecrets(stack),
    options.auditSince
      ? readAuditFailures([...functions, emergencyFunctionName(stack)], options.auditSince)
      : undefined,
  ]);
  for (const group of failures?.unreadable ?? [])
    warnings.push(`could not read audit lines from ${group}: failures there are not shown`);
  if (wired.length === 0)
    warnings.push(
      `no secret is wired to ${stack.org}-${stack.env}'s rotation functions (${functions.join(', ')})`,
    );

  const screen = { now: options.now?.() ?? new Date(), stuckAfterMs: options.thresholds.stuckAfterMs };
  const listed = await Promise.all(
    wired.map(async (row) => ({ ...row, facts: await toFacts(row.entry, undefined, screen) })),
  );
  // Judge ages as of after the listing: no date it returned can then lie in the future.
  const now = options.now?.() ?? new Date();
  const secrets = listed.map(({ entry, kind, facts }): SecretStatus => {
    const arn = entry.ARN ?? '';
    const failure = failures?.bySecretArn.get(arn);
    const lastFailure = failure && stillMatters(failure, entry) ? failure : undefined;
    const assessment = assess({ ...facts, lastFailure }, now, options.thresholds);
    return {
      kind,
      name: entry.Name ?? arn,
      arn,
      environment: environmentOf(entry, stack),
      ...scheduleOf(entry),
      ...(entry.LastRotatedDate ? { lastRotated: entry.LastRotatedDate.toISOString() } : {}),
      ...(entry.NextRotationDate ? { nextRotation: entry.NextRotationDate.toISOString() } : {}),
      state: assessment.state,
      ...(assessment.stuckAt ? { stuckAt: assessment.stuckAt } : {}),
      problems: assessment.problems,
      ...(lastFailure ? { lastFailure: { ...lastFailure, at: lastFailure.at.toISOString() } } : {}),
    };
  });
  secrets.sort(
    (a, b) =>
      SEVERITY.indexOf(a.state) - SEVERITY.indexOf(b.state) ||
      a.kind.localeCompare(b.kind) ||
      a.name.localeCompare(b.name),
  );
  const counts = Object.fromEntries(
    SEVERITY.map((state) => [state, secrets.filter((s) => s.state === state).length]),
  ) as Record<RotationState, number>;
  return { checkedAt: now.toISOString(), stack, functions, secrets, counts, warnings };
}
