/**
 * `npm run bench [-- --rotations 20 --cold-runs 25 --retry-rotations 10 --throttle 0.25
 *   --scale 50,100,250,500 --concurrency 10 --report docs/bench]`
 *
 * Figures, not a timed test: bundle sizes and cold starts, rotation wall time and Secrets Manager
 * calls per secret type, the SDK retry modes under throttling, PostgreSQL at scale, peak memory of
 * warm function processes. Prints tables, writes .bench/results.json and a report with charts
 * (docs/bench/README.md and its SVGs). Every figure is measured here, against the same local servers the
 * demo uses; nothing is asserted, so a slow machine gives slow figures, never a failure.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { buildAll } from './build.mjs';
import { measureBundles } from '../dev/bench/bundles';
import { benchRetryModes, type RetryModeFigures } from '../dev/bench/retry-modes';
import { benchRotations, type RotationFigures } from '../dev/bench/rotations';
import { type BenchResults, writeReport } from '../dev/bench/report';
import { benchScale, type ScaleFigures } from '../dev/bench/scale';
import { round } from '../dev/bench/stats';
import { table } from '../ops/table';
import { missingTools } from '../dev/lib/preflight';
import { startCountingProxy } from '../dev/aws/counting-proxy';
import { motoEnvironment, startMoto } from '../dev/aws/moto';
import { startPostgres } from '../dev/targets/postgres/cluster';
import { SecretsAdmin } from '../dev/aws/secrets-admin';
import { startLocalTargets } from '../dev/targets';

const { values } = parseArgs({
  options: {
    rotations: { type: 'string', default: '20' },
    'cold-runs': { type: 'string', default: '25' },
    'retry-rotations': { type: 'string', default: '10' },
    throttle: { type: 'string', default: '0.25' },
    scale: { type: 'string', default: '50,100,250,500' },
    concurrency: { type: 'string', default: '10' },
    out: { type: 'string', default: '.bench/results.json' },
    report: { type: 'string', default: 'docs/bench' },
  },
});
const rotations = Number(values.rotations);
const coldRuns = Number(values['cold-runs']);
const retryRotations = Number(values['retry-rotations']);
const throttledFraction = Number(values.throttle);
const scaleSizes = values.scale.split(',').filter(Boolean).map(Number);
const concurrency = Number(values.concurrency);

const say = (line = '') => process.stdout.write(`${line}\n`);
const kb = (bytes: number) => `${round(bytes / 1024)} KB`;

async function main(): Promise<number> {
  const missing = missingTools();
  if (missing.length > 0) {
    for (const hint of missing) say(`missing tool: ${hint}`);
    return 2;
  }
  await buildAll({ quiet: true });
  // Other jobs on the machine slow every figure: the report says how busy it was.
  const loadAtStart = loadavg()[0] ?? 0;

  say(`Bundles and cold start (median of ${coldRuns} fresh processes each, Node ${process.versions.node})`);
  const bundles = measureBundles(coldRuns);
  say(
    table(
      ['function', 'minified', 'gzipped', 'cold start', 'p95', 'bundle init'],
      bundles.bundles.map((b) => [
        b.function,
        kb(b.bytes),
        kb(b.gzipBytes),
        `${b.coldStartMs} ms`,
        `${b.coldStartP95Ms} ms`,
        `${b.bundleInitMs} ms`,
      ]),
    ),
  );
  say(`(cold start includes Node's own start: ${bundles.nodeStartMs} ms for an empty script)`);

  const cleanup: (() => Promise<unknown>)[] = [];
  const results: { rotations: RotationFigures[]; retryModes: RetryModeFigures[]; scale: ScaleFigures[] } = {
    rotations: [],
    retryModes: [],
    scale: [],
  };
  try {
    const moto = await startMoto();
    cleanup.push(() => moto.stop());
    Object.assign(process.env, motoEnvironment(moto.endpoint), { ALLOW_LOOPBACK_HTTP: 'true' });
    const proxy = await startCountingProxy(moto.endpoint);
    cleanup.push(() => proxy.stop());
    const cluster = await startPostgres();
    cleanup.push(() => cluster.stop());
    const admin = new SecretsAdmin();

    const targets = await startLocalTargets(cluster, admin, {
      // The bench mints more than Zoho's 10 tokens per 10 minutes: lift the local limits.
      zoho: { mintLimit: 10_000, maxActiveAccessTokens: 10_000 },
    });
    for (const target of targets) cleanup.push(() => target.stop());

    say();
    say(`Rotations (${rotations} per type, one warm function process each, against local servers)`);
    for (const target of targets) results.rotations.push(await benchRotations(target, proxy, rotations));
    say(
      table(
        [
          'type',
          'steps median',
          'steps p95',
          'wall median',
          'wall p95',
          'SM calls',
          'first',
          'service calls',
          'failures',
          'peak RSS',
        ],
        results.rotations.map((r) => [
          r.type,
          `${r.stepsMedianMs} ms`,
          `${r.stepsP95Ms} ms`,
          `${r.wallMedianMs} ms`,
          `${r.wallP95Ms} ms`,
          r.secretsManagerCalls,
          r.firstRotationCalls,
          Object.keys(r.serviceCallsByOperation).length ? r.serviceCalls : '-',
          r.failures,
          `${r.peakRssMb} MB`,
        ]),
      ),
    );
    say('(steps: the four invocations; wall: plus RotateSecret and the label clean-up the service does)');
    say('(SM calls: Secrets Manager calls the function made per warm rotation; first: the cold first one)');
    say("(service calls: calls to the target's own AWS API per warm rotation, ElastiCache here)");
    const comparison = compareRedisPaths(results.rotations);
    if (comparison) {
      say();
      say(comparison);
    }

    if (retryRotations > 0) {
      say();
      say(
        `SDK retry modes under throttling (${Math.round(throttledFraction * 100)}% of Secrets Manager calls answered ThrottlingException; ${retryRotations} rotations per mode and type, alternating)`,
      );
      for (const target of targets) {
        results.retryModes.push(
          await benchRetryModes(target, moto.endpoint, retryRotations, throttledFraction),
        );
      }
      const ms = (value: number) => `${value} ms`;
      say(
        table(
          [
            'type',
            'standard median',
            'standard worst',
            'adaptive median',
            'adaptive worst',
            'adaptive/standard',
            'failures s/a',
            'throttled s/a',
          ],
          results.retryModes.map(({ type, modes: { standard, adaptive } }) => [
            type,
            ms(standard.medianMs),
            ms(standard.worstMs),
            ms(adaptive.medianMs),
            ms(adaptive.worstMs),
            `${round(adaptive.medianMs / standard.medianMs, 2)}x`,
            `${standard.failures}/${adaptive.failures}`,
            `${standard.throttledCalls}/${adaptive.throttledCalls}`,
          ]),
        ),
      );
      say(
        '(the four steps of a rotation; throttled: calls per rotation the proxy answered ThrottlingException)',
      );
    }

    say();
    say(`Scale: PostgreSQL secrets (one role each) rotated by ${concurrency} warm function processes`);
    for (const size of scaleSizes) {
      results.scale.push(await benchScale(cluster, admin, size, concurrency));
      const last = results.scale.at(-1) as ScaleFigures;
      say(
        `  ${size} secrets: ${last.totalSeconds} s, ${last.rotationsPerSecond}/s, ${last.failures} failures`,
      );
    }
    say(
      table(
        ['secrets', 'total', 'rotations/s', 'per rotation', 'failures', 'peak RSS'],
        results.scale.map((s) => [
          s.secrets,
          `${s.totalSeconds} s`,
          s.rotationsPerSecond,
          `${s.msPerRotation} ms`,
          s.failures,
          `${s.peakRssMb} MB`,
        ]),
      ),
    );
  } finally {
    for (const stop of cleanup.reverse()) await stop().catch(() => undefined);
  }

  const report = {
    measuredAt: new Date().toISOString(),
    node: process.versions.node,
    machine: {
      cpus: cpus().length,
      loadAverage: { start: round(loadAtStart, 2), end: round(loadavg()[0] ?? 0, 2) },
      platform: process.platform,
      arch: process.arch,
    },
    nodeStartMs: bundles.nodeStartMs,
    bundles: bundles.bundles,
    ...results,
  };
  mkdirSync(values.out.replace(/\/[^/]+$/, ''), { recursive: true });
  writeFileSync(values.out, `${JSON.stringify(report, null, 2)}\n`);
  say();
  say(`wrote ${values.out}`);
  const forReport: BenchResults = {
    ...report,
    coldStarts: bundles.bundles.map((b) => ({
      function: b.function,
      bytes: b.bytes,
      gzipBytes: b.gzipBytes,
      medianMs: b.coldStartMs,
      p95Ms: b.coldStartP95Ms,
      vsNode: round(b.coldStartMs / bundles.nodeStartMs),
    })),
  };
  for (const file of writeReport(forReport, values.report)) say(`wrote ${file}`);
  return 0;
}

/**
 * The ElastiCache user path beside the self-managed one, measured in the same run: rotation time
 * (the four steps) and API calls per rotation. The local ElastiCache keeps a user `modifying` for
 * 200 ms after a change (seconds to a minute in AWS), which testSecret waits out.
 */
function compareRedisPaths(figures: readonly RotationFigures[]): string | undefined {
  const selfManaged = figures.find((f) => f.type === 'Redis (ACL dual passwords)');
  const elasticache = figures.find((f) => f.type === 'Redis on ElastiCache (RBAC user)');
  if (!selfManaged || !elasticache) return undefined;
  const calls = (f: RotationFigures) =>
    Object.entries({ ...f.callsByOperation, ...f.serviceCallsByOperation })
      .map(([operation, n]) => `${operation} ${n}`)
      .join(', ');
  return [
    'Redis: ElastiCache user vs self-managed ACL user (same run, warm function, median)',
    `  rotation (four steps): ${elasticache.stepsMedianMs} ms vs ${selfManaged.stepsMedianMs} ms, ratio ${round(elasticache.stepsMedianMs / selfManaged.stepsMedianMs)} (includes the emulated 200 ms modifying window)`,
    `  API calls per rotation: ${elasticache.secretsManagerCalls + elasticache.serviceCalls} (${calls(elasticache)}) vs ${selfManaged.secretsManagerCalls} (${calls(selfManaged)})`,
  ].join('\n');
}

process.exitCode = await main();
