import { createHash } from 'node:crypto';
import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  DeleteScheduleCommand,
  GetScheduleCommand,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';

/**
 * Zoho access tokens live one hour and Secrets Manager rotates at most every 4 hours, so each Zoho
 * secret gets an EventBridge Scheduler schedule that calls RotateSecret every 45 minutes. They live
 * in the stack's schedule group and run as its Scheduler role, which may rotate only secrets wired
 * to the Zoho function: wire creates one per secret, unwire deletes it, no redeploy.
 */
const NAME_LIMIT = 64;

/** A schedule name (64 characters of [0-9A-Za-z-_.]) derived from the secret name, the same every time. */
export function refreshScheduleName(secretName: string): string {
  const name = `zoho-refresh-${secretName.replace(/[^0-9A-Za-z_.-]/g, '-')}`;
  if (name.length <= NAME_LIMIT) return name;
  const hash = createHash('sha256').update(secretName).digest('hex').slice(0, 8);
  return `${name.slice(0, NAME_LIMIT - hash.length - 1)}-${hash}`;
}

export interface RefreshSchedule {
  name: string;
  group: string;
  roleArn: string;
  secretArn: string;
  secretName: string;
  expression: string;
}

function scheduleInput(schedule: RefreshSchedule): CreateScheduleCommandInput {
  return {
    Name: schedule.name,
    GroupName: schedule.group,
    Description: `Refresh the Zoho access token of ${schedule.secretName} before its one-hour expiry (npm run wire).`,
    ScheduleExpression: schedule.expression,
    FlexibleTimeWindow: { Mode: 'OFF' },
    State: 'ENABLED',
    Target: {
      Arn: 'arn:aws:scheduler:::aws-sdk:secretsmanager:rotateSecret',
      RoleArn: schedule.roleArn,
      Input: JSON.stringify({ SecretId: schedule.secretArn, RotateImmediately: true }),
      // A refresh older than 10 minutes is superseded by the next one anyway.
      RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 600 },
    },
  };
}

/** Create the schedule, or bring an existing one of that name up to date (wire may be re-run). */
export async function putRefreshSchedule(
  schedule: RefreshSchedule,
  client = new SchedulerClient({}),
): Promise<void> {
  const input = scheduleInput(schedule);
  try {
    await client.send(new CreateScheduleCommand(input));
  } catch (error) {
    if (!(error instanceof ConflictException) && (error as Error).name !== 'ConflictException') throw error;
    await client.send(new UpdateScheduleCommand(input));
  }
}

/** true once the call succeeds, false when the schedule is not there; other errors propagate. */
async function found(call: Promise<unknown>): Promise<boolean> {
  try {
    await call;
    return true;
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return false;
    throw error;
  }
}

/** Delete it; false when there was none. */
export function deleteRefreshSchedule(
  name: string,
  group: string,
  client = new SchedulerClient({}),
): Promise<boolean> {
  return found(client.send(new DeleteScheduleCommand({ Name: name, GroupName: group })));
}

/** Whether the schedule is there (unwire deletes only what exists, and says so). */
export function refreshScheduleExists(
  name: string,
  group: string,
  client = new SchedulerClient({}),
): Promise<boolean> {
  return found(client.send(new GetScheduleCommand({ Name: name, GroupName: group })));
}
