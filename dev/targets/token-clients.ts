import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { SecretCache } from '../../packages/consumer/src/secret-cache';

/** A service's view of a bearer secret: the AWSCURRENT token, through its own SecretCache. */
async function currentToken(cache: SecretCache, secretId: string): Promise<string> {
  const value = await cache.getJSON<{ token?: unknown }>(secretId);
  if (typeof value.token !== 'string') throw new Error(`secret ${secretId} has no token`);
  return value.token;
}

export interface CachedWebhookClient {
  /** POST one webhook with the token the cache holds now; resolves with the HTTP status. */
  send(): Promise<number>;
  /** Every distinct token this client has sent. */
  tokensUsed: Set<string>;
}

/** A webhook sender that reads its token from Secrets Manager (AWSCURRENT) through a SecretCache. */
export function cachedWebhookClient(options: {
  cache: SecretCache;
  secretId: string;
  url: string;
}): CachedWebhookClient {
  const tokensUsed = new Set<string>();
  return {
    tokensUsed,
    async send() {
      const token = await currentToken(options.cache, options.secretId);
      tokensUsed.add(token);
      const response = await fetch(options.url, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ type: 'deal.updated' }),
      });
      await response.arrayBuffer();
      return response.status;
    },
  };
}

export interface CachedMcpClient {
  /** Call the `whoami` tool; resolves with the label the server accepted the token under. */
  whoami(): Promise<string>;
  /** Every distinct token this client has presented. */
  tokensUsed: Set<string>;
  close(): Promise<void>;
}

/**
 * An MCP client (the official SDK) holding one session open across rotations, whose every HTTP
 * request carries the token its SecretCache holds at that moment: how a long-lived agent uses a
 * rotated MCP token.
 */
export async function connectCachedMcpClient(options: {
  cache: SecretCache;
  secretId: string;
  url: string;
}): Promise<CachedMcpClient> {
  const tokensUsed = new Set<string>();
  const transport = new StreamableHTTPClientTransport(new URL(options.url), {
    fetch: async (input, init) => {
      const headers = new Headers(init?.headers);
      const token = await currentToken(options.cache, options.secretId);
      tokensUsed.add(token);
      headers.set('Authorization', `Bearer ${token}`);
      return fetch(input, { ...init, headers });
    },
  });
  const client = new Client({ name: 'rotation-test-agent', version: '1.0.0' });
  await client.connect(transport);
  return {
    tokensUsed,
    async whoami() {
      const result = await client.callTool({ name: 'whoami' });
      const content = result.content as { type: string; text?: string }[] | undefined;
      const text = content?.find((item) => item.type === 'text')?.text ?? '{}';
      return String((JSON.parse(text) as { stage?: unknown }).stage);
    },
    async close() {
      await transport.terminateSession().catch(() => undefined);
      await client.close();
    },
  };
}

export interface LoopStats {
  calls: number;
  ok: number;
  failures: string[];
}

/**
 * Call `once` back to back until stopped; a call that resolves false or throws is a failure. The
 * zero-downtime tests run one of these while rotating and expect no failure at all.
 */
export function startLoop(
  once: () => Promise<boolean | string>,
  pauseMs = 5,
): { stop(): Promise<LoopStats> } {
  const stats: LoopStats = { calls: 0, ok: 0, failures: [] };
  let running = true;
  const done = (async () => {
    while (running) {
      stats.calls++;
      try {
        const outcome = await once();
        if (outcome === true) stats.ok++;
        else stats.failures.push(String(outcome));
      } catch (error) {
        stats.failures.push(error instanceof Error ? error.message : String(error));
      }
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      return stats;
    },
  };
}
