import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One SNS delivery as an http subscriber receives it (the JSON envelope). */
export interface SnsDelivery {
  Type?: string;
  Subject?: string;
  Message: string;
}

export interface AlertListener {
  /** Set this as ALERT_TOPIC_ARN of the function under test. */
  topicArn: string;
  /** Notifications received so far (subscription confirmations left out). */
  deliveries(): SnsDelivery[];
  stop(): Promise<void>;
}

/**
 * An SNS topic in moto with an http subscription to a listener on loopback: what the operator's
 * mailbox or pager would receive, for tests that check alerts end to end.
 */
export async function startAlertListener(): Promise<AlertListener> {
  const received: SnsDelivery[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        const delivery = JSON.parse(Buffer.concat(chunks).toString()) as SnsDelivery;
        if (delivery.Type !== 'SubscriptionConfirmation') received.push(delivery);
      } catch {
        // Not an SNS envelope: ignore.
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

  const sns = new SNSClient({});
  const topic = await sns.send(
    new CreateTopicCommand({ Name: `rotation-alerts-${randomUUID().slice(0, 8)}` }),
  );
  if (!topic.TopicArn) throw new Error('CreateTopic returned no TopicArn');
  await sns.send(new SubscribeCommand({ TopicArn: topic.TopicArn, Protocol: 'http', Endpoint: endpoint }));

  return {
    topicArn: topic.TopicArn,
    deliveries: () => [...received],
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
