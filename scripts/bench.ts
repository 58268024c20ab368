/**
 * `npm run bench [-- --rotations 20 --cold-runs 25 --retry-rotations 10 --throttle 0.25
 *   --scale 50,100,250,500 --concurrency 10 --report docs/bench]`
 * `npm run bench -- --cold-only [--source-maps] [--compare before=/path/to/other/dist ...]`
 * `npm run bench -- --fleet [--fleet-size 1000] [--concurrency 10]`
 *
 * Figures, not a timed test: bundle sizes and cold starts, rotation wall time and Secrets Manager
 * calls per secret type, the SDK retry modes under throttling, PostgreSQL at scale, peak memory of
 * warm function processes. Prints tables, writes .bench/results.json and a report with charts
 * (docs/bench/README.md and its SVGs). Every figure is measured here, against the same local servers the
 * demo uses; nothing is asserted, so a slow machine gives slow figures, never a failure.
 *
 * --fleet (or --fleet-size) runs the mixed fleet alone: that many secrets of every kind rotated in
 * one wave at --concurrency, p50/p95 per kind, and the monitor's Secrets Manager calls for the
 * fleet; it rewrites only the fleet section of the report (a few minutes for 1,000 secrets, so the
 * default bench leaves it out and keeps the section a fleet run wrote).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { buildAll } from './build.mjs';
import {
  BASELINE,
  buildBaseline,
  buildWithSourceMaps,
  type ColdStartFigures,
  type FirstUseFigures,
  functionSubjects,
  measureColdStarts,
  measureFirstUse,
} from '../dev/bench/bundles';
import { benchRetryModes, type RetryModeFigures } from '../dev/bench/retry-modes';
import { benchRotations, type RotationFigures } from '../dev/bench/rotations';
import { type BenchResults, fleetKindsTable, writeFleetSection, writeReport } from '../dev/bench/report';
import { benchScale, type ScaleFigures } from '../dev/bench/scale';
import { benchFleet } from '../dev/bench/fleet';
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
    // Cold starts only: no local servers, no rotations, no scale (under a minute).
    'cold-only': { type: 'boolean', default: false },
    // Also the bundles with linked source maps, started with --enable-source-maps.
    'source-maps': { type: 'boolean', default: false },
    // label=dir: another build's folders (dir/<function>/index.mjs) in the same paired rounds.
    compare: { type: 'string', multiple: true, default: [] },
    report: { type: 'string', default: 'docs/bench' },
    // The mixed fleet alone (see above).
    fleet: { type: 'boolean', default: false },
    'fleet-size': { type: 'string' },
  },
});
const compare = Object.fromEntries(
  values.compare.map((spec) => {
    const at = spec.indexOf('=');
    if (at < 1) throw new Error(`--compare ${spec}: expected label=dir`);
    return [spec.slice(0, at), spec.slice(at + 1)];
  }),
);
const rotations = Number(values.rotations);
const coldRuns = Number(values['cold-runs']);
const retryRotations = Number(values['retry-rotations']);
const throttledFraction = Number(values.throttle);
const scaleSizes = values.scale.split(',').filter(Boolean).map(Number);
const concurrency = Number(values.concurrency);
const fleetOnly = values.fleet || values['fleet-size'] !== undefined;
const fleetSize = Number(values['fleet-size'] ?? '1000');

const say = (line = '') => process.stdout.write(`${line}\n`);
const kb = (bytes: number) => `${round(bytes / 1024)} KB`;

const spread = ({ median, p95 }: { median: number; p95: number }, unit = '') =>
  `${median}${unit} (${p95}${unit})`;

/** Each group's highest and median bundle ratio to Node: the goal is 3 and 2.6. */
function coldStartGoals(figures: ColdStartFigures[]): string[] {
  const groups = new Map<string, ColdStartFigures[]>();
  for (const f of figures.filter((f) => f.label.includes(': ') || f.isFunction)) {
    const group = f.isFunction ? 'this build' : (f.label.split(': ')[0] as string);
    groups.set(group, [...(groups.get(group) ?? []), f]);
  }
  return [...groups].map(([group, members]) => {
    const ratios = members.map((m) => m.vsNode.median).sort((a, b) => a - b);
    const highest = members.reduce((a, b) => (b.vsNode.median > a.vsNode.median ? b : a));
    const middle = ratios[Math.floor((ratios.length - 1) / 2)];
    return `${group}: highest ${highest.vsNode.median}x Node (${highest.label}), median bundle ${middle}x`;
  });
}

async function coldStarts(): Promise<ColdStartFigures[]> {
  const baseline = await buildBaseline('.bench/sdk-logger-baseline');
  const subjects = functionSubjects(compare);
  if (values['source-maps']) subjects.push(...(await buildWithSourceMaps('.bench/source-maps')));
  say(
    `Cold init: ${coldRuns} paired rounds, each a fresh process importing the bundle, Node ${process.versions.node}`,
  );
  const figures = measureColdStarts(subjects, baseline, coldRuns);
  say(
    table(
      [
        'bundle',
        'files',
        'start-up path',
        'all chunks',
        'gzipped',
        'cold init (p95)',
        'x Node (p95)',
        `x ${BASELINE} (p95)`,
        'CPU x Node (p95)',
      ],
      figures.map((f) => [
        f.label,
        f.files ?? '',
        f.startupBytes === undefined ? '' : kb(f.startupBytes),
        f.bytes === undefined ? '' : kb(f.bytes),
        f.gzipBytes === undefined ? '' : kb(f.gzipBytes),
        spread(f.ms, ' ms'),
        spread(f.vsNode),
        spread(f.vsBaseline),
        spread(f.cpuVsNode),
      ]),
    ),
  );
  say('(ratios per round: wall time over Node alone and over the baseline in the same round, and CPU time');
  say(' until the import resolved, all threads, over Node alone; median and p95 of the rounds)');
  for (const line of coldStartGoals(figures)) say(`goal at most 3x, median 2.6x: ${line}`);
  return figures;
}

/** What the cold start no longer loads, and what its first use costs instead (once per container). */
async function firstUses(nodeStartMs: number): Promise<FirstUseFigures[]> {
  const runs = Math.min(coldRuns, 10);
  const figures = await measureFirstUse('.bench/first-use', runs);
  say();
  say(`Loaded on first use instead of at cold start (median of ${runs} processes, after the bundle loaded)`);
  say(
    table(
      ['function', 'loads', 'first use (p95)', 'x Node start'],
      figures.map((f) => [f.function, f.loads, spread(f.ms, ' ms'), round(f.ms.median / nodeStartMs, 2)]),
    ),
  );
  return figures;
}

/** .bench/results.json: every figure of the run; the machine's load says how far to trust them. */
function writeResults(results: Record<string, unknown>, loadAtStart: number, out = values.out) {
  const written = {
    measuredAt: new Date().toISOString(),
    node: process.versions.node,
    machine: {
      cpus: cpus().length,
      loadAverage: { start: round(loadAtStart, 2), end: round(loadavg()[0] ?? 0, 2) },
      platform: process.platform,
      arch: process.arch,
    },
    ...results,
  };
  mkdirSync(out.replace(/\/[^/]+$/, ''), { recursive: true });
  writeFileSync(out, `${JSON.stringify(written, null, 2)}\n`);
  say();
  say(`wrote ${out}`);
  return written;
}

/** The report's view of the paired cold starts: the functions, with Node's own start beside. */
function reportColdStarts(figures: ColdStartFigures[]): Pick<BenchResults, 'nodeStartMs' | 'coldStarts'> {
  return {
    nodeStartMs: figures[0]?.ms.median ?? Number.NaN,
    coldStarts: figures
      .filter((f) => f.isFunction)
      .map((f) => ({
        function: f.label,
        bytes: f.bytes ?? 0,
        startupBytes: f.startupBytes ?? 0,
        gzipBytes: f.gzipBytes ?? 0,
        medianMs: f.ms.median,
        p95Ms: f.ms.p95,
        vsNode: f.vsNode.median,
        vsBaseline: f.vsBaseline.median,
      })),
  };
}

/**
 * moto (this process's AWS from now on), the counting proxy before it and a PostgreSQL cluster,
 * each stop pushed on `cleanup`.
 */
async function startLocalStack(cleanup: (() => Promise<unknown>)[]) {
  const moto = await startMoto();
  cleanup.push(() => moto.stop());
  Object.assign(process.env, motoEnvironment(moto.endpoint), { ALLOW_LOOPBACK_HTTP: 'true' });
  const proxy = await startCountingProxy(moto.endpoint);
  cleanup.push(() => proxy.stop());
  const cluster = await startPostgres();
  cleanup.push(() => cluster.stop());
  return { moto, proxy, cluster };
}

/** The mixed fleet alone: its own servers, its own results file, its section of the report. */
async function fleetMain(): Promise<number> {
  if (!Number.isInteger(fleetSize) || fleetSize < 1) throw new Error('--fleet-size needs a whole number');
  const missing = missingTools();
  if (missing.length > 0) {
    for (const hint of missing) say(`missing tool: ${hint}`);
    return 2;
  }
  await buildAll({ quiet: true });
  const loadAtStart = loadavg()[0] ?? 0;
  const cleanup: (() => Promise<unknown>)[] = [];
  try {
    const { proxy, cluster } = await startLocalStack(cleanup);
    say(`Mixed fleet: ${fleetSize} secrets of every kind, rotated ${concurrency} at a time`);
    const fleet = await benchFleet(cluster, new SecretsAdmin(), proxy, fleetSize, concurrency, say);
    say(
      `${fleet.secrets} secrets: ${fleet.totalSeconds} s, ${fleet.rotationsPerSecond} rotations/s, ` +
        `${fleet.failures} failures (${fleet.functionProcesses} warm function processes, peak RSS ${fleet.peakRssMb} MB)`,
    );
    say(fleetKindsTable(fleet));
    say(
      `monitor over the fleet: ${fleet.monitor.checked} secrets, ${fleet.monitor.listPages} ListSecrets pages, ` +
        `${fleet.monitor.perSecretCalls} ListSecretVersionIds`,
    );
    const out = values.out.replace(/results\.json$/, 'fleet.json');
    const written = writeResults({ fleet }, loadAtStart, out);
    say(`wrote ${writeFleetSection(fleet, written.measuredAt, values.report, written.machine)}`);
  } finally {
    for (const stop of cleanup.reverse()) await stop().catch(() => undefined);
  }
  return 0;
}

async function main(): Promise<number> {
  if (fleetOnly) return fleetMain();
  const missing = values['cold-only'] ? [] : missingTools();
  if (missing.length > 0) {
    for (const hint of missing) say(`missing tool: ${hint}`);
    return 2;
  }
  await buildAll({ quiet: true });
  // Other jobs on the machine slow every figure: the report says how busy it was.
  const loadAtStart = loadavg()[0] ?? 0;
  const coldStart = await coldStarts();
  const firstUse = await firstUses(coldStart[0]?.ms.median ?? Number.NaN);
  if (values['cold-only']) {
    writeResults({ coldStart, firstUse }, loadAtStart);
    return 0;
  }

  const cleanup: (() => Promise<unknown>)[] = [];
  const results: { rotations: RotationFigures[]; retryModes: RetryModeFigures[]; scale: ScaleFigures[] } = {
    rotations: [],
    retryModes: [],
    scale: [],
  };
  try {
    const { moto, proxy, cluster } = await startLocalStack(cleanup);
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

  const written = writeResults({ coldStart, firstUse, ...results }, loadAtStart);
  const forReport: BenchResults = { ...written, ...results, ...reportColdStarts(coldStart) };
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
