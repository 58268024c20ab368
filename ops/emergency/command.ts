import type { Stack } from '../suite';
import { describeFilter, type FleetFilter } from './filters';
import { type EmergencyInvoke, type FleetResult, rotateFleet } from './fleet';
import { selectFleet } from './selection';
import { fleetNotice, renderPlan, renderResults, seconds } from './summary';

export interface FleetInvoker {
  invoke: EmergencyInvoke;
  stop(): Promise<void>;
}

export interface FleetCommand {
  stack: Stack;
  filter: FleetFilter;
  reason: string;
  revokePrevious: boolean;
  concurrency: number;
  dryRun: boolean;
  json: boolean;
  /** What rotates: the deployed function's name, or the local bundle's description. */
  via: string;
  /** Started only when there is something to rotate, with one slot per worker. */
  startInvoker(workers: number): Promise<FleetInvoker>;
  /** Where the one summary goes; undefined: nowhere (said on stderr). */
  alertTopic(): Promise<string | undefined>;
  publish(topicArn: string, notice: { subject: string; message: string }): Promise<void>;
  /** stdout: the table (or JSON) alone. */
  print(text: string): void;
  /** stderr: progress and warnings. */
  say(line: string): void;
}

/**
 * `npm run emergency -- --match/--tag ...`: select, then rotate every wired secret through
 * emergency-rotate at bounded concurrency, a progress line per secret, the table at the end and
 * one SNS summary. Exit code: 0 all rotated, 1 any failed or nothing matched.
 */
export async function runFleetCommand(command: FleetCommand): Promise<number> {
  const { stack, filter } = command;
  const stackName = `${stack.org}-${stack.env}`;
  const selection = await selectFleet(stack, filter);
  command.say(
    `${describeFilter(filter)}: ${selection.selected.length + selection.skipped.length} of ` +
      `${selection.listed} listed secrets match (${selection.pages} ListSecrets pages); ` +
      `${selection.selected.length} wired to ${stackName}'s rotation functions` +
      (selection.skipped.length > 0 ? `, ${selection.skipped.length} skipped (listed with the results)` : ''),
  );

  if (command.dryRun) {
    command.print(
      command.json
        ? JSON.stringify({ dryRun: true, stack: stackName, ...selection }, null, 2)
        : renderPlan(selection.selected, selection.skipped, command.revokePrevious),
    );
    return selection.selected.length > 0 ? 0 : 1;
  }
  if (selection.selected.length === 0) {
    command.say(`nothing to rotate: no matching secret is wired to ${stackName}'s rotation functions`);
    return 1;
  }

  const workers = Math.min(command.concurrency, selection.selected.length);
  command.say(
    `rotating ${selection.selected.length} secrets through ${command.via}, ${workers} at a time` +
      (command.revokePrevious ? ', revoking each previous credential' : ''),
  );
  const startedAt = new Date();
  const invoker = await command.startInvoker(workers);
  let results: FleetResult[];
  try {
    results = await rotateFleet(selection.selected, {
      reason: command.reason,
      revokePrevious: command.revokePrevious,
      concurrency: workers,
      invoke: invoker.invoke,
      onResult: (result, done, total) => command.say(progressLine(result, done, total)),
    });
  } finally {
    await invoker.stop();
  }

  command.print(
    command.json
      ? JSON.stringify({ stack: stackName, results, skipped: selection.skipped }, null, 2)
      : renderResults(results, selection.skipped),
  );
  await announce(command, results, selection.skipped, startedAt);
  return results.some((r) => r.outcome === 'failed') ? 1 : 0;
}

function progressLine(result: FleetResult, done: number, total: number): string {
  const where = `${result.secret} (${result.kind}, ${seconds(result.durationMs)})`;
  const counter = `[${String(done).padStart(String(total).length)}/${total}]`;
  return result.outcome === 'failed'
    ? `${counter} FAILED ${where}: ${result.errorName}`
    : `${counter} ${result.outcome} ${where}`;
}

/** One summary for the run; a publish failure is said, never hides the results. */
async function announce(
  command: FleetCommand,
  results: FleetResult[],
  skipped: Parameters<typeof fleetNotice>[0]['skipped'],
  startedAt: Date,
): Promise<void> {
  let topicArn: string | undefined;
  try {
    topicArn = await command.alertTopic();
  } catch (error) {
    command.say(`could not find the alert topic (${(error as Error).name}: ${(error as Error).message})`);
  }
  if (!topicArn) {
    command.say('no alert topic (--topic-arn or ALERT_TOPIC_ARN): the summary was not published');
    return;
  }
  const notice = fleetNotice({
    stack: command.stack,
    reason: command.reason,
    filter: command.filter,
    results,
    skipped,
    startedAt,
  });
  try {
    await command.publish(topicArn, notice);
    command.say(`published the summary to ${topicArn}`);
  } catch (error) {
    command.say(
      `could not publish the summary to ${topicArn} (${(error as Error).name}: ${(error as Error).message})`,
    );
  }
}
