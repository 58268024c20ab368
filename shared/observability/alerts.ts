import type { PublishCommandInput } from '@aws-sdk/client-sns';
import { logger } from './logger';
import { redactingReplacer, scrub } from './redaction';

/** What operations needs to act on a failure. Never a value: the alert is scrubbed on the way out too. */
export interface FailureAlert {
  secretArn: string;
  kind: string;
  step: string;
  errorClass: string;
  message: string;
  /** Whether Secrets Manager's retries can fix it on their own. */
  retryable: boolean;
  /** What a person should do, when a machine retry will not help. */
  action?: string;
  /** Why a person started the operation (emergency rotation). */
  reason?: string;
  /** For a timeout: what the invocation was waiting for when it ran out of time. */
  waitingFor?: string;
  /** For a timeout: the Lambda deadline (ISO-8601) the invocation stopped short of. */
  deadline?: string;
}

type Publish = (input: PublishCommandInput, options: { abortSignal?: AbortSignal }) => Promise<unknown>;
let publisher: Promise<Publish> | undefined;

/**
 * The SNS client, loaded (its own chunk of the bundle) and created on the first alert: a healthy
 * rotation never pays for loading SNS at cold start.
 */
function snsPublisher(): Promise<Publish> {
  publisher ??= import('@aws-sdk/client-sns').then(({ SNSClient, PublishCommand }) => {
    const client = new SNSClient({});
    return (input, options) => client.send(new PublishCommand(input), options);
  });
  return publisher;
}

/**
 * Publish a notice to ALERT_TOPIC_ARN, when set. The subject obeys SNS's rules (at most 100 ASCII
 * characters); subject and body are scrubbed of every known secret. Never throws: an alerting outage
 * must not hide the rotation error that caused it, so a publish failure is logged and swallowed.
 * `signal` bounds the publish (with its retries) to what is left of the invocation.
 */
export async function publishNotice(
  subject: string,
  body: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<void> {
  const topicArn = process.env.ALERT_TOPIC_ARN;
  if (!topicArn) return;
  try {
    const publish = await snsPublisher();
    await publish(
      {
        TopicArn: topicArn,
        Subject: scrub(subject)
          .replace(/[^\x20-\x7e]/g, '?')
          .slice(0, 100),
        Message: JSON.stringify(body, redactingReplacer, 2),
      },
      signal ? { abortSignal: signal } : {},
    );
  } catch (error) {
    logger.error('could not publish to the alert topic', { topicArn, error });
  }
}

export function publishFailure(alert: FailureAlert, signal?: AbortSignal): Promise<void> {
  return publishNotice(
    `Rotation failed: ${alert.kind} ${alert.step} (${alert.errorClass})`,
    { type: 'rotation-failure', ...alert },
    signal,
  );
}
