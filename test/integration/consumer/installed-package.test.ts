import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { transform } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalLambda } from '../../../dev/aws/local-lambda';
import { RotationDriver } from '../../../dev/aws/rotation-driver';
import {
  credentialsIn,
  type RotationFunctions,
  startRotationFunctions,
} from '../../../dev/aws/rotation-functions';
import { startRotationService } from '../../../dev/aws/rotation-service';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import { type RotationTarget, startLocalTargets } from '../../../dev/targets';
import { type PostgresCluster, startPostgres } from '../../../dev/targets/postgres/cluster';
import { freePort } from '../../../dev/lib/ports';
import { startBackground } from '../../../dev/lib/processes';
import { nodeBinaries, packedPackage, PACKAGE_NAME, type PackedPackage } from './installed/packed-package';
import { type LoopFigures, type RunningLoop, startLoop } from './installed/service-loops';

/**
 * The consumer package the way a service gets it: `npm pack`, installed from the tarball into a
 * project outside this repository, imported by its name, on Node 20 and on the pinned Node 24.
 * Then, per kind, services using its helpers keep sending requests while the built rotation
 * functions rotate their secret 20 times and an emergency rotation revokes the previous
 * credential: no request may fail as the service sees it.
 */
const run = promisify(execFile);
let packed: PackedPackage;
let nodes: { label: string; bin: string; version: string }[];

beforeAll(async () => {
  [packed, nodes] = await Promise.all([packedPackage(), nodeBinaries()]);
  copyFileSync(
    join(import.meta.dirname, 'installed/service-loop.mjs'),
    join(packed.project, 'service-loop.mjs'),
  );
}, 120_000);

async function runIn(node: string, code: string): Promise<string> {
  const script = join(packed.project, `probe-${process.pid}-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(script, code);
  const { stdout } = await run(node, [script], { cwd: packed.project });
  return stdout.trim();
}

const SUBPATHS = ['', '/pg', '/ioredis', '/node-redis', '/http', '/mcp', '/zoho'];
const EXAMPLES_DIR = join(import.meta.dirname, '../../../docs/examples');

describe('the packed tarball', () => {
  it('holds the ESM build and its declarations, and nothing else', () => {
    const manifest = JSON.parse(
      readFileSync(join(packed.project, 'node_modules', PACKAGE_NAME, 'package.json'), 'utf8'),
    ) as {
      exports: Record<string, string | { types: string; default: string }>;
    };
    expect(packed.files.filter((file) => !file.startsWith('dist/'))).toEqual([
      'LICENSE',
      'README.md',
      'package.json',
    ]);
    expect(packed.files.filter((file) => !/\.(js|d\.ts)$/.test(file) && file.startsWith('dist/'))).toEqual(
      [],
    );
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      if (typeof target === 'string') continue;
      expect(packed.files, subpath).toContain(target.types.replace('./', ''));
      expect(packed.files, subpath).toContain(target.default.replace('./', ''));
    }
    expect(packed.size).toBeLessThan(60_000);
  });

  it('depends on nothing but the AWS SDK client (a peer); pg, ioredis and redis are optional peers, never bundled', () => {
    const manifest = JSON.parse(
      readFileSync(join(packed.project, 'node_modules', PACKAGE_NAME, 'package.json'), 'utf8'),
    ) as {
      dependencies?: unknown;
      engines: Record<string, string>;
      type: string;
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
    };
    expect(manifest.dependencies).toBeUndefined();
    expect(manifest.type).toBe('module');
    expect(manifest.engines).toEqual({ node: '>=20' });
    expect(Object.keys(manifest.peerDependencies).sort()).toEqual([
      '@aws-sdk/client-secrets-manager',
      'ioredis',
      'pg',
      'redis',
    ]);
    expect(manifest.peerDependenciesMeta).toEqual({
      ioredis: { optional: true },
      pg: { optional: true },
      redis: { optional: true },
    });
    // Each driver is imported by its own subpath's module only.
    const importers: Record<string, string[]> = {};
    for (const file of packed.files.filter((f) => f.endsWith('.js'))) {
      const text = readFileSync(join(packed.project, 'node_modules', PACKAGE_NAME, file), 'utf8');
      for (const [, specifier] of text.matchAll(/^import .*? from '([^'.][^']*)';$/gm)) {
        if (specifier?.startsWith('node:')) continue;
        (importers[specifier ?? ''] ??= []).push(file);
      }
    }
    expect(importers).toEqual({
      '@aws-sdk/client-secrets-manager': ['dist/secret-cache.js'],
      pg: ['dist/pg/rotating-pool.js'],
      ioredis: ['dist/redis/ioredis.js'],
      redis: ['dist/redis/node-redis.js'],
    });
  });

  it('imports every subpath by package name on Node 20 and 24; the root, /http, /mcp and /zoho load no driver', async () => {
    const probe = `
      import { createRequire } from 'node:module';
      const exported = {};
      for (const subpath of ['', '/http', '/mcp', '/zoho']) {
        exported[subpath || '.'] = Object.keys(await import('${PACKAGE_NAME}' + subpath)).length;
      }
      const loaded = () => Object.keys(createRequire(import.meta.url).cache)
        .map((path) => /node_modules\\/((?:@redis\\/)?[^/]+)\\//.exec(path.slice(path.lastIndexOf('node_modules/')))?.[1])
        .filter((name) => ['pg', 'ioredis', 'redis', '@redis/client'].includes(name));
      const before = [...new Set(loaded())];
      for (const subpath of ['/pg', '/ioredis', '/node-redis']) {
        exported[subpath] = Object.keys(await import('${PACKAGE_NAME}' + subpath)).length;
      }
      console.log(JSON.stringify({ node: process.version, exported, before, after: [...new Set(loaded())].sort() }));
    `;
    for (const node of nodes) {
      const result = JSON.parse(await runIn(node.bin, probe)) as {
        node: string;
        exported: Record<string, number>;
        before: string[];
        after: string[];
      };
      expect(result.node).toBe(node.version);
      expect(Object.keys(result.exported).sort()).toEqual(SUBPATHS.map((s) => s || '.').sort());
      for (const count of Object.values(result.exported)) expect(count).toBeGreaterThan(0);
      expect(result.before).toEqual([]);
      expect(result.after).toEqual(['@redis/client', 'ioredis', 'pg', 'redis']);
    }
    console.info(
      `consumer package: ${packed.size} bytes packed (${packed.unpackedSize} unpacked, ${packed.files.length} files); imports on ${nodes.map((n) => n.version).join(' and ')}`,
    );
  });
});

/** One service per helper: the loops a kind's secret gets (both Redis clients for Redis). */
const LOOPS_BY_TARGET: Record<string, { kind: string; url?: (value: Record<string, unknown>) => string }[]> =
  {
    'PostgreSQL (alternating users)': [{ kind: 'postgres' }],
    'PostgreSQL (single user)': [{ kind: 'postgres' }],
    'Redis (ACL dual passwords)': [{ kind: 'ioredis' }, { kind: 'node-redis' }],
    'Zoho CRM OAuth': [{ kind: 'zoho' }],
    'Webhook bearer token': [{ kind: 'webhook', url: (v) => String(v.verify_url) }],
    'MCP server token': [{ kind: 'mcp', url: (v) => String(v.server_url) }],
  };
const ROTATIONS = 20;
/** After each rotation the services keep the previous credential this long, then are told. */
const STALE_MS = 100;
/**
 * Requests each service makes after the revoke, on the credential it cached before (a refusal
 * makes it re-read the secret). More than 10: the Redis loops drop their connection every 10.
 */
const AFTER_REVOKE_REQUESTS = 12;

describe('service loops through 20 rotations and an emergency revoke, per kind', () => {
  const admin = new SecretsAdmin();
  const driver = new RotationDriver({ attemptsPerStep: 2 });
  let cluster: PostgresCluster;
  let targets: RotationTarget[] = [];
  let functions: RotationFunctions;
  let emergency: LocalLambda;
  const loops: RunningLoop[] = [];

  beforeAll(async () => {
    cluster = await startPostgres();
    // The local Zoho's mint limit (10 per 10 minutes) would stop 21 rotations in a row.
    targets = await startLocalTargets(cluster, admin, { zoho: { mintLimit: 1_000 } });
    functions = await startRotationFunctions(targets);
    emergency = await LocalLambda.start('emergency-rotate', {
      env: {
        AWS_ENDPOINT_URL_LAMBDA: functions.api.endpoint,
        EMERGENCY_WAIT_SECONDS: '20',
        EMERGENCY_POLL_MS: '50',
      },
    });
  }, 120_000);

  /** Example servers, stopped here too should a test fail before its own cleanup. */
  const servers: { stop(): Promise<void> }[] = [];

  afterAll(async () => {
    for (const loop of loops) loop.kill();
    await Promise.all(servers.map((server) => server.stop()));
    await emergency?.stop();
    await functions?.stop();
    await Promise.all(targets.map((t) => t.stop()));
    await cluster?.stop();
  });

  async function rotateWhileServing(target: RotationTarget, serving: RunningLoop[]) {
    const invoke = functions.invoker(target);
    const name = functions.nameOf(target);
    const durations: number[] = [];
    for (let i = 0; i < ROTATIONS; i++) {
      const started = performance.now();
      await driver.rotate(target.secretId, invoke, name);
      durations.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, STALE_MS));
      for (const loop of serving) loop.send('invalidate'); // e.g. an EventBridge rule on RotationSucceeded
    }
    for (const loop of serving) loop.send('phase emergency');
    const previous = await admin.valueAt(target.secretId, 'AWSCURRENT');
    const service = await startRotationService([target.secretId], invoke, { pollMs: 50 });
    let result: Record<string, unknown>;
    try {
      result = (await emergency.invoke({
        secretId: target.secretId,
        reason: 'consumer package proof',
        revokePrevious: true,
      })) as Record<string, unknown>;
    } finally {
      await service.stop();
    }
    // No notice this time: the services find out from the refusal.
    await target.settle();
    await Promise.all(serving.map((loop) => loop.answered(AFTER_REVOKE_REQUESTS)));
    durations.sort((a, b) => a - b);
    const median = Math.round(durations[Math.floor(durations.length / 2)] ?? 0);
    return { result, median, previousAccepted: previous ? await target.accepts(previous) : undefined };
  }

  it(`for every kind, on Node 20 and 24: no failed request across ${ROTATIONS} rotations and a revoke`, async () => {
    const started = performance.now();
    // CONSUMER_LOOP_TARGETS=Redis (a label prefix) runs one kind, when debugging.
    const only = process.env.CONSUMER_LOOP_TARGETS;
    // Every kind runs to its end before anything is judged (no rotation left running behind).
    const settled = await Promise.allSettled(
      targets
        .filter((target) => !only || target.label.startsWith(only))
        .map(async (target) => {
          const value = (await admin.valueAt(target.secretId, 'AWSCURRENT')) ?? {};
          const serving: RunningLoop[] = [];
          for (const spec of LOOPS_BY_TARGET[target.label] ?? []) {
            for (const node of nodes) {
              const loop = await startLoop({
                label: `${target.label} ${spec.kind} ${node.label}`,
                node: node.bin,
                script: join(packed.project, 'service-loop.mjs'),
                cwd: packed.project,
                config: {
                  kind: spec.kind,
                  secretId: target.secretId,
                  pauseMs: 100,
                  mcpSdkDir: join(packed.project, 'node_modules/@modelcontextprotocol/sdk'),
                  ...(spec.url ? { url: spec.url(value) } : {}),
                },
              });
              loops.push(loop);
              serving.push(loop);
            }
          }
          const outcome = await rotateWhileServing(target, serving);
          const figures = await Promise.all(serving.map((loop) => loop.stop()));
          if (process.env.LOOP_DEBUG) {
            for (const loop of serving)
              writeFileSync(`/tmp/loop-${loop.label.replace(/\W+/g, '-')}.log`, loop.output());
          }
          return { target, outcome, figures, serving };
        }),
    );
    const broken = settled.flatMap((result) =>
      result.status === 'rejected' ? [result.reason as Error] : [],
    );
    if (broken.length > 0) throw broken[0];
    const perTarget = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const seconds = ((performance.now() - started) / 1000).toFixed(1);

    const rows = perTarget.flatMap(({ target, figures, outcome }) =>
      figures.map((f: LoopFigures) => ({
        kind: `${target.label} / ${f.kind}`,
        rotationMedianMs: outcome.median,
        node: f.node,
        requests: f.requests,
        failed: f.failed,
        retriesDuringRotations: f.retries.rotations ?? 0,
        retriesAfterRevoke: f.retries.emergency ?? 0,
        reasons: f.retryReasons,
        seen: f.seen.length,
      })),
    );
    console.info(`consumer service loops (${seconds} s):\n${rows.map((r) => JSON.stringify(r)).join('\n')}`);

    for (const { target, outcome, figures } of perTarget) {
      expect(outcome.result, target.label).toMatchObject({ outcome: 'succeeded', revokedPrevious: true });
      expect(outcome.previousAccepted, `${target.label}: the previous credential after the revoke`).toBe(
        false,
      );
      for (const f of figures) {
        const label = `${target.label} / ${f.kind} on ${f.node}`;
        expect(f.failures, label).toEqual([]);
        expect(f.failed, label).toBe(0);
        expect(f.requests, label).toBeGreaterThan(ROTATIONS * 3);
      }
    }
    // Services of kinds whose revoke refuses the cached credential at once had to retry after it.
    for (const row of rows.filter((r) => /webhook|mcp|zoho|redis/.test(r.kind))) {
      expect(row.retriesAfterRevoke, row.kind).toBeGreaterThanOrEqual(1);
    }
    // Alternating users are both used; the scheduled rotations needed no retry outside single user.
    for (const row of rows.filter((r) => !r.kind.startsWith('PostgreSQL (single user)'))) {
      expect(row.retriesDuringRotations, row.kind).toBe(0);
    }

    // Nothing any service printed holds a credential of any version.
    const values = [];
    for (const target of targets) {
      for (const stage of ['AWSCURRENT', 'AWSPREVIOUS'])
        values.push(await admin.valueAt(target.secretId, stage));
    }
    const output = perTarget.flatMap(({ serving }) => serving.map((loop) => loop.output())).join('\n');
    expect(credentialsIn(values).filter((credential) => output.includes(credential))).toEqual([]);
  }, 180_000);

  it('docs/consumer.md: every example runs as written, installed, on Node 20 and 24', async () => {
    const byLabel = (label: string) => {
      const target = targets.find((t) => t.label === label);
      if (!target) throw new Error(`no ${label} target`);
      return target.secretId;
    };
    const webhook = byLabel('Webhook bearer token');
    const mcp = byLabel('MCP server token');
    const webhookValue = (await admin.valueAt(webhook, 'AWSCURRENT')) as {
      token: string;
      verify_url: string;
    };
    const mcpValue = (await admin.valueAt(mcp, 'AWSCURRENT')) as { token: string; server_url: string };
    const env: Record<string, string> = {
      SECRET_ID: webhook,
      DB_SECRET_ID: byLabel('PostgreSQL (alternating users)'),
      REDIS_SECRET_ID: byLabel('Redis (ACL dual passwords)'),
      WEBHOOK_SECRET_ID: webhook,
      WEBHOOK_URL: webhookValue.verify_url,
      MCP_SECRET_ID: mcp,
      MCP_URL: mcpValue.server_url,
      ZOHO_SECRET_ID: byLabel('Zoho CRM OAuth'),
    };
    const examples = join(packed.project, 'examples');
    mkdirSync(examples, { recursive: true });
    const sources = readdirSync(EXAMPLES_DIR).filter((name) => name.endsWith('.ts'));
    for (const name of sources) {
      // Type stripping only, so Node 20 runs the very code the page shows.
      const { code } = await transform(readFileSync(join(EXAMPLES_DIR, name), 'utf8'), {
        loader: 'ts',
        format: 'esm',
      });
      writeFileSync(join(examples, name.replace(/\.ts$/, '.mjs')), code);
    }
    const runExample = async (node: string, name: string) => {
      const { stdout } = await run(node, [join(examples, `${name}.mjs`)], {
        cwd: packed.project,
        env: { ...process.env, ...env },
      });
      return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Record<string, unknown>;
    };
    const expected: Record<string, (out: Record<string, unknown>) => void> = {
      'secret-cache': (out) => expect(out).toEqual({ token: true, previous: expect.any(Boolean) }),
      postgres: (out) => expect(String(out.user)).toMatch(/^app_[0-9a-f]{8}(_clone)?$/),
      'quick-start': (out) => expect(String(out.user)).toMatch(/^app_[0-9a-f]{8}(_clone)?$/),
      ioredis: (out) => expect(out).toEqual({ greeting: 'hello' }),
      'node-redis': (out) => expect(out).toEqual({ greeting: 'hello' }),
      'webhook-sender': (out) => expect(out).toEqual({ status: 200 }),
      'mcp-client': (out) => expect(out).toEqual({ tools: ['whoami'] }),
      zoho: (out) => expect(out).toEqual({ status: 200, users: 1 }),
    };
    const clients = Object.keys(expected);
    expect([...clients, 'webhook-receiver', 'mcp-server'].sort()).toEqual(
      sources.map((n) => n.replace(/\.ts$/, '')).sort(),
    );

    await Promise.all(
      nodes.map(async (node) => {
        const outputs = await Promise.all(clients.map((name) => runExample(node.bin, name)));
        clients.forEach((name, i) => expected[name]?.(outputs[i] ?? {}));

        // The servers: started, asked, stopped.
        const receiverPort = await freePort();
        const receiver = startBackground(node.bin, [join(examples, 'webhook-receiver.mjs')], {
          cwd: packed.project,
          env: { ...process.env, ...env, PORT: String(receiverPort) },
        });
        const mcpPort = await freePort();
        const mcpServer = startBackground(node.bin, [join(examples, 'mcp-server.mjs')], {
          cwd: packed.project,
          env: { ...process.env, ...env, PORT: String(mcpPort) },
        });
        servers.push(receiver, mcpServer);
        try {
          await expect
            .poll(() => receiver.output().includes('listening') && mcpServer.output().includes('listening'), {
              timeout: 10_000,
            })
            .toBe(true);
          const hook = (token: string) =>
            fetch(`http://127.0.0.1:${receiverPort}/`, {
              method: 'POST',
              headers: { Authorization: `Bearer ${token}` },
            });
          const accepted = await hook(webhookValue.token);
          expect(accepted.status).toBe(200);
          expect(await accepted.json()).toEqual({ stage: 'AWSCURRENT' });
          const refused = await hook('whk_not-the-token');
          expect(refused.status).toBe(401);
          expect(refused.headers.get('www-authenticate')).toBe(
            'Bearer error="invalid_token", error_description="the bearer token is not valid"',
          );

          const mcpUrl = `http://127.0.0.1:${mcpPort}/mcp`;
          const metadataUrl = `http://127.0.0.1:${mcpPort}/.well-known/oauth-protected-resource/mcp`;
          const initialize = (headers: Record<string, string>) =>
            fetch(mcpUrl, {
              method: 'POST',
              headers: {
                'Content-Type': 'application/json',
                Accept: 'application/json, text/event-stream',
                ...headers,
              },
              body: JSON.stringify({
                jsonrpc: '2.0',
                id: 1,
                method: 'initialize',
                params: {
                  protocolVersion: '2025-06-18',
                  capabilities: {},
                  clientInfo: { name: 'probe', version: '1' },
                },
              }),
            });
          const unauthenticated = await initialize({});
          expect(unauthenticated.status).toBe(401);
          expect(unauthenticated.headers.get('www-authenticate')).toBe(
            `Bearer resource_metadata="${metadataUrl}"`,
          );
          const ok = await initialize({ Authorization: `Bearer ${mcpValue.token}` });
          expect(ok.status).toBe(200);
          expect(
            ((await ok.json()) as { result?: { serverInfo?: { name?: string } } }).result?.serverInfo?.name,
          ).toBe('crm');
          expect(await (await fetch(metadataUrl)).json()).toEqual({
            resource: mcpUrl,
            authorization_servers: ['https://auth.example.com'],
            bearer_methods_supported: ['header'],
          });
        } finally {
          await Promise.all([receiver.stop(), mcpServer.stop()]);
        }
      }),
    );
  }, 60_000);
});
