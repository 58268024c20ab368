// A service using the installed package: copied into a scratch project that installed the packed
// tarball, so every import below resolves the way it does for a user (by package name, from
// node_modules). Plain JavaScript: it runs as is on Node 20 and on Node 24.
//
// It sends requests one after another through one helper until told to stop, and counts what
// the service sees: requests that succeeded, requests that failed, and the helper's retries.
// Commands on stdin, one per line: `invalidate` (the service was told a rotation finished),
// `phase <name>` (retries from now on are counted under that name), `mark <n>` (say `marked` once
// n more requests have been answered), `stop`. On stdout: `ready` once the first request
// succeeded, `marked` as asked, then one JSON line with the figures when stopped.
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { SecretCache } from '@secret-rotation-suite/consumer';

const config = JSON.parse(process.env.SERVICE_CONFIG ?? '{}');
const cache = new SecretCache(); // the five-minute default: rotations are noticed by `invalidate`
const stats = {
  kind: config.kind,
  node: process.version,
  requests: 0,
  failed: 0,
  failures: [],
  retries: {},
  retryReasons: {},
  seen: [],
};
let phase = 'rotations';
const onRetry = (event) => {
  stats.retries[phase] = (stats.retries[phase] ?? 0) + 1;
  stats.retryReasons[event.reason] = (stats.retryReasons[event.reason] ?? 0) + 1;
};
const seen = new Set();

/** One request of each kind; resolves when the service got what it asked for, throws otherwise. */
const services = {
  async postgres() {
    const { RotatingPool } = await import('@secret-rotation-suite/consumer/pg');
    // maxUses: connections are replaced all along, so logins happen throughout the rotations.
    const pool = new RotatingPool({
      cache,
      secretId: config.secretId,
      max: 3,
      maxUses: 10,
      connectionTimeoutMillis: 5_000,
      retryTerminatedQueries: true, // SELECTs only: safe to run twice
      onRetry,
    });
    return {
      async request() {
        const results = await Promise.all(
          [1, 2].map(() => pool.query('SELECT session_user AS user_name, 1 AS ok')),
        );
        for (const result of results) {
          if (result.rows[0]?.ok !== 1) throw new Error('unexpected answer');
          seen.add(result.rows[0].user_name);
        }
      },
      close: () => pool.end(),
    };
  },

  async ioredis() {
    const { createRotatingIoredis } = await import('@secret-rotation-suite/consumer/ioredis');
    const redis = await createRotatingIoredis({
      cache,
      secretId: config.secretId,
      onRetry,
      // The application user may not run INFO; ioredis's ready check would only warn.
      redisOptions: { enableReadyCheck: false, retryStrategy: () => 20 },
    });
    redis.on('error', (e) => process.env.LOOP_DEBUG && process.stderr.write(`error ${e.message}\n`));
    if (process.env.LOOP_DEBUG) redis.on('ready', () => process.stderr.write(`ready ${phase}\n`));
    let n = 0;
    return {
      async request() {
        n++;
        // A dropped connection every 10 requests: each reconnect authenticates afresh.
        if (n % 10 === 0) redis.disconnect(true);
        const key = `app:loop:${process.pid}:${n % 10}`;
        if ((await redis.set(key, String(n))) !== 'OK') throw new Error('SET refused');
        if ((await redis.get(key)) !== String(n)) throw new Error('GET answered something else');
      },
      close: () => redis.quit(),
    };
  },

  async 'node-redis'() {
    const { createRotatingRedisClient } = await import('@secret-rotation-suite/consumer/node-redis');
    const client = await createRotatingRedisClient({
      cache,
      secretId: config.secretId,
      onRetry,
      clientOptions: { socket: { reconnectStrategy: () => 20 } },
    });
    client.on('error', () => undefined);
    await client.connect();
    let n = 0;
    return {
      async request() {
        n++;
        if (n % 10 === 0) {
          await client.close();
          await client.connect();
        }
        const key = `app:loop:${process.pid}:${n % 10}`;
        if ((await client.set(key, String(n))) !== 'OK') throw new Error('SET refused');
        if ((await client.get(key)) !== String(n)) throw new Error('GET answered something else');
      },
      close: () => client.close(),
    };
  },

  async webhook() {
    const { bearerFetch } = await import('@secret-rotation-suite/consumer/http');
    const send = bearerFetch({ cache, secretId: config.secretId, onRetry });
    return {
      async request() {
        const response = await send(config.url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ type: 'deal.updated' }),
        });
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
      },
      close: async () => undefined,
    };
  },

  async mcp() {
    const { bearerFetch } = await import('@secret-rotation-suite/consumer/http');
    const sdk = (path) => import(pathToFileURL(`${config.mcpSdkDir}/dist/esm/${path}`).href);
    const { Client } = await sdk('client/index.js');
    const { StreamableHTTPClientTransport } = await sdk('client/streamableHttp.js');
    const transport = new StreamableHTTPClientTransport(new URL(config.url), {
      fetch: bearerFetch({ cache, secretId: config.secretId, onRetry }),
    });
    const client = new Client({ name: 'service-loop', version: '1.0.0' });
    await client.connect(transport);
    return {
      async request() {
        const result = await client.callTool({ name: 'whoami' });
        if (result.isError) throw new Error('tool call failed');
        seen.add(JSON.parse(result.content[0].text).stage);
      },
      close: () => client.close(),
    };
  },

  async zoho() {
    const { ZohoTokenProvider } = await import('@secret-rotation-suite/consumer/zoho');
    const crm = new ZohoTokenProvider({ cache, secretId: config.secretId, onRetry });
    return {
      async request() {
        const response = await crm.fetch('/crm/v8/users?type=CurrentUser');
        const body = await response.json();
        if (response.status !== 200) throw new Error(`HTTP ${response.status} ${body.code ?? ''}`);
      },
      close: async () => undefined,
    };
  },
};

const service = await services[config.kind]();
let stopped = false;
let markAt;
createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, argument] = line.trim().split(' ');
  // Told a rotation finished: forget the secret and read the new one now (a Redis client would
  // otherwise read it only at its next reconnect).
  if (command === 'invalidate') {
    cache.invalidate(config.secretId);
    cache.get(config.secretId).catch(() => undefined);
  } else if (command === 'phase') phase = argument;
  else if (command === 'mark') markAt = stats.requests + Number(argument);
  else if (command === 'stop') stopped = true;
});

let ready = false;
while (!stopped) {
  try {
    await service.request();
    stats.requests++;
    if (!ready) {
      ready = true;
      process.stdout.write('ready\n');
    }
  } catch (error) {
    stats.requests++;
    stats.failed++;
    if (stats.failures.length < 10) stats.failures.push(`${phase}: ${error?.code ?? ''} ${error?.message}`);
  }
  if (markAt !== undefined && stats.requests >= markAt) {
    markAt = undefined;
    process.stdout.write('marked\n');
  }
  await new Promise((resolve) => setTimeout(resolve, config.pauseMs ?? 20));
}
await service.close().catch(() => undefined);
stats.seen = [...seen].sort();
process.stdout.write(`${JSON.stringify(stats)}\n`);
process.exit(0);
