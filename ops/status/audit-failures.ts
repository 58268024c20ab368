import {
  CloudWatchLogsClient,
  FilterLogEventsCommand,
  type FilteredLogEvent,
} from '@aws-sdk/client-cloudwatch-logs';
import type { FailureFacts } from '../../functions/rotation-monitor/assess';
import { logGroupOf } from '../suite';

/**
 * The last failure of each secret, from the functions' own audit lines in CloudWatch Logs.
 *
 * Why the logs and not a tag or metadata the core writes on failure: the audit line already is the
 * record of every step, written once by the core; reading it needs only logs:FilterLogEvents for
 * whoever runs the status, while writing tags would add a call (and a way to fail) to every failure
 * path and give the functions secretsmanager:TagResource, letting them change the very tags the
 * fleet's permissions key on. One FilterLogEvents query per function (a few pages), not per secret.
 */
const FAILED_AUDIT_LINES = '{ $.audit.outcome = "failed" }';
const MAX_PAGES_PER_GROUP = 50;

export interface AuditFailures {
  /** The newest failed audit line per secret ARN. */
  bySecretArn: Map<string, FailureFacts>;
  /** Log groups that could not be read, and why (the table then shows no failure for their secrets). */
  unreadable: string[];
}

interface AuditFields {
  outcome?: unknown;
  secretArn?: unknown;
  step?: unknown;
  errorClass?: unknown;
  retryable?: unknown;
  action?: unknown;
  message?: unknown;
  version?: unknown;
}

/**
 * The audit object of a log event's message: the Powertools line itself, or the same line wrapped
 * by Lambda's JSON log format (`message` holding it), or after a text prefix.
 */
export function auditOf(message: string | undefined): AuditFields | undefined {
  const start = message?.indexOf('{') ?? -1;
  if (!message || start < 0) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(message.slice(start));
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object') return undefined;
  const line = parsed as { audit?: unknown; message?: unknown };
  if (line.audit && typeof line.audit === 'object') return line.audit as AuditFields;
  return typeof line.message === 'string' && line.message !== message ? auditOf(line.message) : undefined;
}

const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

function failureOf(event: FilteredLogEvent): [string, FailureFacts] | undefined {
  const audit = auditOf(event.message);
  // The filter pattern narrows the search in CloudWatch; this check is what decides (emulators
  // such as moto ignore JSON patterns and return every line).
  const secretArn = text(audit?.secretArn);
  if (!audit || audit.outcome !== 'failed' || !secretArn) return undefined;
  const version = text(audit.version);
  const action = text(audit.action);
  const message = text(audit.message);
  return [
    secretArn,
    {
      step: text(audit.step) ?? 'unknown step',
      errorClass: text(audit.errorClass) ?? 'Error',
      retryable: audit.retryable === true,
      ...(action ? { action } : {}),
      ...(message ? { message } : {}),
      ...(version ? { version } : {}),
      at: new Date(event.timestamp ?? 0),
    },
  ];
}

export async function readAuditFailures(
  functionNames: readonly string[],
  since: Date,
  logs: CloudWatchLogsClient = new CloudWatchLogsClient({}),
): Promise<AuditFailures> {
  const result: AuditFailures = { bySecretArn: new Map(), unreadable: [] };
  await Promise.all(
    functionNames.map(async (functionName) => {
      const logGroupName = logGroupOf(functionName);
      let nextToken: string | undefined;
      try {
        for (let page = 0; page < MAX_PAGES_PER_GROUP; page++) {
          const out = await logs.send(
            new FilterLogEventsCommand({
              logGroupName,
              startTime: since.getTime(),
              filterPattern: FAILED_AUDIT_LINES,
              nextToken,
            }),
          );
          for (const event of out.events ?? []) {
            const found = failureOf(event);
            if (!found) continue;
            const [arn, failure] = found;
            const known = result.bySecretArn.get(arn);
            if (!known || known.at < failure.at) result.bySecretArn.set(arn, failure);
          }
          nextToken = out.nextToken;
          if (!nextToken) break;
        }
      } catch (error) {
        // A function that never ran has no log group yet: nothing failed there.
        if ((error as Error).name === 'ResourceNotFoundException') return;
        result.unreadable.push(`${logGroupName} (${(error as Error).name}: ${(error as Error).message})`);
      }
    }),
  );
  return result;
}
