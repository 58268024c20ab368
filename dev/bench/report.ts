import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { table } from '../../ops/table';
import type { FleetFigures } from './fleet';
import type { RotationFigures } from './rotations';
import type { ScaleFigures } from './scale';
import { round } from './stats';
import { barChart, COLOURS, lineChart } from './svg';

/** One bundle's cold start, as the report shows it (whatever way the bench measured it). */
export interface ColdStart {
  function: string;
  /** Every chunk of the function's folder (the package), and what a cold start loads of it. */
  bytes: number;
  startupBytes?: number;
  gzipBytes: number;
  /** A fresh node importing the bundle: median and p95 of the runs. */
  medianMs: number;
  p95Ms: number;
  /** The cold start as a multiple of Node's own start (an empty script), measured side by side. */
  vsNode: number;
  /** The same over a bundle of just the Secrets Manager client and the Powertools logger. */
  vsBaseline?: number;
}

/** What one `npm run bench` measured, for the report. */
export interface BenchResults {
  measuredAt: string;
  node: string;
  machine: {
    cpus: number;
    platform: string;
    arch: string;
    /** The one-minute load average when the bench started and ended. */
    loadAverage?: { start: number; end: number };
  };
  nodeStartMs: number;
  coldStarts: ColdStart[];
  rotations: RotationFigures[];
  scale: ScaleFigures[];
}

export function coldStartChart(results: BenchResults): string {
  return barChart({
    title: 'Cold start per bundle: a fresh node importing it (median; whisker: p95)',
    unit: 'ms',
    legend: [
      { colour: COLOURS.node, label: `Node's own start (${results.nodeStartMs} ms, an empty script)` },
      { colour: COLOURS.bundle, label: 'loading and running the bundle' },
    ],
    // The bar is the cold start; its grey part Node's own start (all of it, should the machine's
    // load have made an empty script slower than this bundle: then the figures are noise).
    bars: results.coldStarts.map((b) => ({
      label: b.function,
      segments: [
        {
          value: Math.min(results.nodeStartMs, b.medianMs),
          colour: COLOURS.node,
          title: `Node: ${results.nodeStartMs} ms`,
        },
        {
          value: Math.max(0, b.medianMs - results.nodeStartMs),
          colour: COLOURS.bundle,
          title: `bundle: ${round(b.medianMs - results.nodeStartMs)} ms`,
        },
      ],
      marker: b.p95Ms,
      note: `${b.medianMs} ms (${b.vsNode}x Node)`,
    })),
  });
}

export function rotationChart(results: BenchResults): string {
  return barChart({
    title: 'One rotation per kind, warm function (median; whisker: p95 of the whole)',
    unit: 'ms',
    legend: [
      { colour: COLOURS.bundle, label: 'the four steps (the function)' },
      { colour: COLOURS.service, label: "the service's part (RotateSecret, label clean-up)" },
    ],
    bars: results.rotations.map((r) => ({
      label: r.type,
      segments: [
        { value: r.stepsMedianMs, colour: COLOURS.bundle, title: `four steps: ${r.stepsMedianMs} ms` },
        {
          value: Math.max(0, r.wallMedianMs - r.stepsMedianMs),
          colour: COLOURS.service,
          title: `with the service's part: ${r.wallMedianMs} ms`,
        },
      ],
      marker: r.wallP95Ms,
      note: `${r.wallMedianMs} ms, ${r.secretsManagerCalls} SM calls`,
    })),
  });
}

export function scaleChart(results: BenchResults): string {
  const concurrency = results.scale[0]?.concurrency ?? 0;
  return lineChart({
    title: `Rotations per second by fleet size (PostgreSQL, ${concurrency} warm functions)`,
    xLabel: 'secrets rotated in one wave',
    yLabel: 'rotations per second',
    points: results.scale.map((s) => ({
      x: s.secrets,
      y: s.rotationsPerSecond,
      label: `${s.rotationsPerSecond}/s`,
    })),
  });
}

/** A warning when other work kept the machine busier than its CPUs during the run. */
function loadNote(results: BenchResults): string {
  const load = results.machine.loadAverage;
  if (!load) return '';
  const busiest = Math.max(load.start, load.end);
  const said = `The load average was ${load.start} at the start and ${load.end} at the end, on ${results.machine.cpus} CPUs`;
  return busiest > results.machine.cpus
    ? `\n\n**${said}: other jobs shared the machine, and every figure here is inflated by them.** Run \`npm run bench\` again on a quiet machine before quoting one.`
    : `\n\n${said}.`;
}

function page(results: BenchResults): string {
  const kb = (bytes: number | undefined) => (bytes === undefined ? '' : `${round(bytes / 1024)} KB`);
  const bundles = table(
    [
      'function',
      'start-up path',
      'all chunks',
      'gzipped',
      'cold start',
      'p95',
      'x Node start',
      'x SDK client + logger',
    ],
    results.coldStarts.map((b) => [
      b.function,
      kb(b.startupBytes),
      kb(b.bytes),
      kb(b.gzipBytes),
      `${b.medianMs} ms`,
      `${b.p95Ms} ms`,
      b.vsNode,
      b.vsBaseline ?? '',
    ]),
  );
  const rotations = table(
    ['kind', 'four steps', 'p95', 'with the service', 'p95', 'SM calls (first)', 'failures', 'peak RSS'],
    results.rotations.map((r) => [
      r.type,
      `${r.stepsMedianMs} ms`,
      `${r.stepsP95Ms} ms`,
      `${r.wallMedianMs} ms`,
      `${r.wallP95Ms} ms`,
      `${r.secretsManagerCalls} (${r.firstRotationCalls})`,
      `${r.failures}/${r.rotations}`,
      `${r.peakRssMb} MB`,
    ]),
  );
  const scale = table(
    ['secrets', 'total', 'rotations/s', 'per rotation', 'failures', 'peak RSS'],
    results.scale.map((s) => [
      s.secrets,
      `${s.totalSeconds} s`,
      s.rotationsPerSecond,
      `${s.msPerRotation} ms`,
      s.failures,
      `${s.peakRssMb} MB`,
    ]),
  );
  return `# Benchmark report

Written by \`npm run bench\` (run it again to replace it) on ${results.measuredAt.slice(0, 10)}: Node
${results.node}, ${results.machine.cpus} CPUs, ${results.machine.platform}/${results.machine.arch}, with
moto, PostgreSQL, Redis and the local servers on the same machine. The machine is shared, so absolute
times drift between runs; the figures of one run are measured side by side and compare fairly with
each other (the ratio to Node's own start, the share of the service's part). The raw figures are in
\`.bench/results.json\`. Node's own start in this run: ${results.nodeStartMs} ms.${loadNote(results)}

## Cold start per bundle

![cold start per bundle against Node's start](cold-start.svg)

\`\`\`text
${bundles}
\`\`\`

## Rotation time per kind

![rotation time per kind](rotation-time.svg)

\`\`\`text
${rotations}
\`\`\`

## Rotations per second against fleet size

![rotations per second against fleet size](scale.svg)

\`\`\`text
${scale}
\`\`\`
`;
}

const FLEET_HEADING = '## A mixed fleet';

/** Each kind of the fleet: its secrets, failures, p50 and p95 (the bench prints it too). */
export function fleetKindsTable(fleet: FleetFigures): string {
  return table(
    ['kind', 'secrets', 'failures', 'p50', 'p95', 'first failure'],
    fleet.kinds.map((k) => [
      k.kind,
      k.secrets,
      k.failures,
      `${k.p50Ms} ms`,
      `${k.p95Ms} ms`,
      k.firstError ?? '-',
    ]),
  );
}

/** The fleet's section of the report: the wave, each kind's times, and what the monitor spent. */
export function fleetSection(
  fleet: FleetFigures,
  measuredAt: string,
  machine?: BenchResults['machine'],
): string {
  const kinds = fleetKindsTable(fleet);
  const calls = Object.entries(fleet.monitor.byAction)
    .map(([action, n]) => `${action} ${n}`)
    .join(', ');
  return `${FLEET_HEADING}

Measured on ${measuredAt.slice(0, 10)} by \`npm run bench -- --fleet --fleet-size ${fleet.secrets}\` (it runs alone and
rewrites only this section): ${fleet.secrets} secrets of every kind, the kinds taking turns in one
queue, against one PostgreSQL cluster, one Redis, one ElastiCache user API, one Zoho and a webhook
receiver or MCP server per secret, all in moto. ${fleet.concurrency} workers rotate them in one
wave, each rotation RotateSecret, the four steps in a warm function process (a pool per function,
grown when all were busy: ${fleet.functionProcesses} processes, peak RSS ${fleet.peakRssMb} MB) and the label
clean-up, one attempt per step. Set-up (${fleet.setupSeconds} s) is not timed.${machine ? loadNote({ machine } as BenchResults) : ''}

\`\`\`text
${fleet.secrets} secrets, concurrency ${fleet.concurrency}: ${fleet.totalSeconds} s, ${fleet.rotationsPerSecond} rotations/s, ${fleet.failures} failures

${kinds}
\`\`\`

The rotation monitor over the same ${fleet.monitor.checked} secrets afterwards: ${fleet.monitor.listPages} \`ListSecrets\` pages and
${fleet.monitor.perSecretCalls} per-secret calls (\`ListSecretVersionIds\`, only for a pending version that may be
stuck); all its Secrets Manager calls: ${calls || 'none'}.
`;
}

/** The fleet section already in the report, kept when a run without --fleet rewrites the page. */
function existingFleetSection(readme: string): string | undefined {
  if (!existsSync(readme)) return undefined;
  const text = readFileSync(readme, 'utf8');
  const start = text.indexOf(FLEET_HEADING);
  if (start < 0) return undefined;
  const end = text.indexOf('\n## ', start + FLEET_HEADING.length);
  return text.slice(start, end < 0 ? undefined : end + 1).trimEnd() + '\n';
}

/** Put the fleet section into the report in place (or at its end), leaving the rest as it is. */
export function writeFleetSection(
  fleet: FleetFigures,
  measuredAt: string,
  dir: string,
  machine?: BenchResults['machine'],
): string {
  mkdirSync(dir, { recursive: true });
  const readme = join(dir, 'README.md');
  const text = existsSync(readme) ? readFileSync(readme, 'utf8') : '# Benchmark report\n';
  const section = fleetSection(fleet, measuredAt, machine);
  const old = existingFleetSection(readme);
  writeFileSync(readme, old ? text.replace(old, section) : `${text.trimEnd()}\n\n${section}`);
  return readme;
}

/** The report: three SVG charts and a Markdown page that shows them with the figures. */
export function writeReport(results: BenchResults, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const files: [string, string][] = [
    ['cold-start.svg', coldStartChart(results)],
    ['rotation-time.svg', rotationChart(results)],
    ['scale.svg', scaleChart(results)],
    ['README.md', page(results)],
  ];
  const kept = existingFleetSection(join(dir, 'README.md'));
  if (kept) files[3] = ['README.md', `${page(results)}\n${kept}`];
  for (const [name, content] of files) writeFileSync(join(dir, name), content);
  return files.map(([name]) => join(dir, name));
}
