import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalLambda } from '../../../dev/aws/local-lambda';
import { SecretCache } from '../../../packages/consumer/src/secret-cache';
import {
  type McpStack,
  startMcpStack,
  startWebhookStack,
  type WebhookStack,
} from '../../../dev/targets/bearer-stacks';
import { RotationDriver } from '../../../dev/aws/rotation-driver';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import { cachedWebhookClient, connectCachedMcpClient, startLoop } from '../../../dev/targets/token-clients';

/**
 * The point of the consumer library: clients that read their token through a SecretCache, and
 * servers that verify with a BearerVerifier, never see a rejection while tokens rotate.
 *
 * Twenty rotations are compressed into seconds, so every cache is short. Servers re-read labels
 * every 50 ms and clients their token every 200 ms: a client keeps presenting the old token well
 * after the server has seen it become AWSPREVIOUS, which is the case the verifier exists for. Each
 * rotation is followed by a pause longer than the clients' TTL; it stands for the real rule:
 * rotate less often than consumers re-read the secret.
 */
const ROTATIONS = 20;
const CLIENT_TTL_MS = 200;
const SERVER_TIMING = { ttlMs: 50, minRefreshIntervalMs: 20 };

const admin = new SecretsAdmin();
const driver = new RotationDriver({ attemptsPerStep: 1 });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const lambdas: LocalLambda[] = [];
const stacks: (WebhookStack | McpStack)[] = [];

async function rotateRepeatedly(secretId: string, lambda: LocalLambda): Promise<number[]> {
  const durations: number[] = [];
  for (let i = 0; i < ROTATIONS; i++) {
    const started = performance.now();
    await driver.rotate(secretId, (event) => lambda.invoke(event));
    durations.push(performance.now() - started);
    await sleep(CLIENT_TTL_MS + 50);
  }
  return durations;
}

function summary(durations: number[]): string {
  const sorted = [...durations].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  return `median ${Math.round(median)} ms, max ${Math.round(sorted.at(-1) ?? 0)} ms`;
}

function expectNoTokenIn(output: string, tokens: Set<string>): void {
  expect(output).toContain('"outcome":"succeeded"');
  for (const token of tokens) expect(output).not.toContain(token.slice(4));
}

beforeAll(async () => {
  lambdas.push(await LocalLambda.start('webhook-bearer'), await LocalLambda.start('mcp-token'));
});

afterAll(async () => {
  await Promise.all([...lambdas, ...stacks].map((item) => item.stop()));
});

describe('zero downtime across rotations', () => {
  it(`webhook: a cached client and a registered sender see no rejection across ${ROTATIONS} rotations`, async () => {
    const stack = await startWebhookStack({ admin, ...SERVER_TIMING, withSender: true });
    stacks.push(stack);
    const { receiver, sender } = stack;
    if (!sender) throw new Error('no sender');
    const client = cachedWebhookClient({
      cache: new SecretCache({ ttlMs: CLIENT_TTL_MS }),
      secretId: stack.secretId,
      url: receiver.url,
    });
    const loops = [
      startLoop(async () => (await client.send()) === 200 || 'client rejected'),
      startLoop(async () => (await sender.send()) === 200 || 'sender rejected'),
    ];

    const durations = await rotateRepeatedly(stack.secretId, lambdas[0] as LocalLambda);
    const [clientStats, senderStats] = await Promise.all(loops.map((loop) => loop.stop()));
    console.info(
      `webhook-bearer: ${ROTATIONS} rotations, ${summary(durations)}; receiver ${JSON.stringify(receiver.counters)}`,
    );

    expect(clientStats?.failures).toEqual([]);
    expect(senderStats?.failures).toEqual([]);
    expect(receiver.counters.rejected).toBe(0);
    // Clients on the old token were served because AWSPREVIOUS is accepted.
    expect(receiver.counters.acceptedByStage.AWSPREVIOUS).toBeGreaterThan(0);
    // The loops really spanned every rotation: each token was used.
    expect(client.tokensUsed.size).toBe(ROTATIONS + 1);
    expect(sender.registrations.changed).toBe(ROTATIONS);
    expect(clientStats?.ok).toBeGreaterThan(ROTATIONS * 5);
    expect(senderStats?.ok).toBeGreaterThan(ROTATIONS * 5);
    expectNoTokenIn(lambdas[0]?.output() ?? '', client.tokensUsed);
  });

  it(`MCP: an agent holding one session sees no rejection across ${ROTATIONS} rotations`, async () => {
    const stack = await startMcpStack({ admin, ...SERVER_TIMING });
    stacks.push(stack);
    const agent = await connectCachedMcpClient({
      cache: new SecretCache({ ttlMs: CLIENT_TTL_MS }),
      secretId: stack.secretId,
      url: stack.server.url,
    });
    const stagesSeen = new Set<string>();
    const loop = startLoop(async () => {
      stagesSeen.add(await agent.whoami());
      return true;
    });

    const durations = await rotateRepeatedly(stack.secretId, lambdas[1] as LocalLambda);
    const stats = await loop.stop();
    await agent.close();
    console.info(
      `mcp-token: ${ROTATIONS} rotations, ${summary(durations)}; server ${JSON.stringify(stack.server.counters)}`,
    );

    expect(stats.failures).toEqual([]);
    expect(stack.server.counters.rejected).toBe(0);
    expect(stack.server.counters.acceptedByStage.AWSPREVIOUS).toBeGreaterThan(0);
    expect(agent.tokensUsed.size).toBe(ROTATIONS + 1);
    expect(stats.ok).toBeGreaterThan(ROTATIONS * 5);
    expect(stagesSeen.has('AWSCURRENT')).toBe(true);
    // Every probe session was ended; the agent's own session closed with it.
    expect(stack.server.counters.sessionsOpened).toBe(ROTATIONS + 1);
    expect(stack.server.openSessions()).toBe(0);
    expectNoTokenIn(lambdas[1]?.output() ?? '', agent.tokensUsed);
  });
});
