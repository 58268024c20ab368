import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SnsMessage {
  Subject?: string;
  Message: string;
}

/**
 * An SNS topic in moto with an http subscription to a listener on loopback: what the functions
 * publish arrives here as SNS would deliver it (a JSON envelope with Subject and Message).
 */
export async function startSnsListener(topicName: string) {
  const messages: SnsMessage[] = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const envelope = JSON.parse(Buffer.concat(chunks).toString('utf8')) as SnsMessage & { Type?: string };
    if (envelope.Type !== 'SubscriptionConfirmation') messages.push(envelope);
    response.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const sns = new SNSClient({});
  const topic = await sns.send(new CreateTopicCommand({ Name: topicName }));
  if (!topic.TopicArn) throw new Error('CreateTopic returned no ARN');
  await sns.send(
    new SubscribeCommand({
      TopicArn: topic.TopicArn,
      Protocol: 'http',
      Endpoint: `http://127.0.0.1:${port}/`,
    }),
  );
  return {
    topicArn: topic.TopicArn,
    messages,
    /** Wait until `count` messages arrived (SNS delivery is asynchronous). */
    async waitFor(count: number, timeoutMs = 10_000): Promise<SnsMessage[]> {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      return messages;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
