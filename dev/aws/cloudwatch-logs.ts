import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { randomUUID } from 'node:crypto';

/**
 * What Lambda does with a function's output: every line it printed becomes a log event in
 * `/aws/lambda/<function name>`. The local Lambda host keeps output in memory; this puts it where
 * `npm run status` (and an operator's Logs Insights query) looks for the audit trail, in moto.
 */
export async function shipFunctionOutput(logGroupName: string, output: string): Promise<number> {
  const lines = output.split('\n').filter((line) => line.trim() !== '');
  if (lines.length === 0) return 0;
  const logs = new CloudWatchLogsClient({});
  await logs.send(new CreateLogGroupCommand({ logGroupName })).catch((error: Error) => {
    if (error.name !== 'ResourceAlreadyExistsException') throw error;
  });
  const logStreamName = `${new Date().toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${randomUUID().replaceAll('-', '')}`;
  await logs.send(new CreateLogStreamCommand({ logGroupName, logStreamName }));
  // A Powertools line carries its own timestamp; other lines (EMF, library output) take the last seen.
  let last = Date.now() - lines.length;
  const events = lines.map((message) => {
    const stamped = Date.parse((/"timestamp":"([^"]+)"/.exec(message) ?? [])[1] ?? '');
    last = Number.isNaN(stamped) ? last : Math.max(last, stamped);
    return { message, timestamp: last };
  });
  for (let i = 0; i < events.length; i += 1000) {
    await logs.send(
      new PutLogEventsCommand({ logGroupName, logStreamName, logEvents: events.slice(i, i + 1000) }),
    );
  }
  return events.length;
}
