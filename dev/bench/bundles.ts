import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildEntry, distDir, functionNames } from '../../scripts/build.mjs';
import { median, percentile, round } from './stats';

/** One thing to cold-start: a built folder's index.mjs, with the Node flags to start it with. */
export interface ColdStartSubject {
  label: string;
  /** The bundle's index.mjs; absent for Node alone. */
  entry?: string;
  nodeArgs?: string[];
  /** Counted in "the median bundle" (not Node, not the baseline). */
  isFunction: boolean;
}

export interface Spread {
  median: number;
  p95: number;
}

export interface SizeFigures {
  files: number;
  /** Every .mjs of the folder: what the deployment package holds. */
  bytes: number;
  gzipBytes: number;
  /** index.mjs and the chunks it imports statically: what a cold start loads and compiles. */
  startupBytes: number;
}

export interface ColdStartFigures extends Partial<SizeFigures> {
  label: string;
  isFunction: boolean;
  /** Wall time from spawn to exit. */
  ms: Spread;
  /** Per round: this subject's wall time over Node's own start in the same round. */
  vsNode: Spread;
  /** Per round: over the SDK client + logger baseline in the same round. */
  vsBaseline: Spread;
  /** CPU time (all threads) until the import resolved, per round over Node's own. */
  cpuVsNode: Spread;
}

interface Sample {
  wallMs: number;
  cpuMs: number;
}

const NODE_ALONE = 'node -e ""';
export const BASELINE = 'SDK client + logger';
const baselineEntry = join(dirname(fileURLToPath(import.meta.url)), 'sdk-logger-baseline.ts');

/**
 * The environment of every measured process: what the function sees in Lambda at load time, and
 * no NODE_EXTRA_CA_CERTS (this machine sets it; Lambda's Node 20+ runtimes do not by default, and
 * some Node versions read the bundle at start).
 */
function lambdaLikeEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: 'bench',
  };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.NODE_OPTIONS;
  return env;
}

/** The process's CPU time so far, printed last: user + system, every thread. */
const PRINT_CPU = 'const u = process.cpuUsage(); process.stdout.write(String((u.user + u.system) / 1000));';

/**
 * One fresh process. Wall time is what a cold start takes; CPU time is what it costs, and hardly
 * moves when other jobs share the machine (in Lambda, at 256 MB, a function gets a fraction of a
 * core, so CPU is what init waits for).
 */
function timeProcess(subject: ColdStartSubject, env: NodeJS.ProcessEnv): Sample {
  const args = subject.entry
    ? [
        ...(subject.nodeArgs ?? []),
        '--input-type=module',
        '-e',
        `await import(${JSON.stringify(pathToFileURL(subject.entry).href)}); ${PRINT_CPU}`,
      ]
    : ['-e', PRINT_CPU];
  const started = performance.now();
  const result = spawnSync(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
    encoding: 'utf8',
  });
  const wallMs = performance.now() - started;
  if (result.status !== 0) {
    throw new Error(`${subject.label}: node exited with ${result.status}: ${result.stderr.slice(0, 500)}`);
  }
  return { wallMs, cpuMs: Number(result.stdout) };
}

/** Relative module specifiers of a minified ES module's static imports (not its `import()` calls). */
function staticImports(code: string): string[] {
  return [...code.matchAll(/(?:\bfrom|\bimport)\s*["'](\.\.?\/[^"']+)["']/g)].map((m) => m[1] as string);
}

/** Sizes of a built folder, and of the part a cold start loads. */
export function sizesOf(entry: string): SizeFigures {
  const folder = dirname(entry);
  const files = readdirSync(folder, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.mjs'));
  const contents = files.map((file) => readFileSync(join(folder, file)));
  const startup = new Set<string>();
  const visit = (file: string) => {
    if (startup.has(file)) return;
    startup.add(file);
    const code = readFileSync(file, 'utf8');
    for (const specifier of staticImports(code)) visit(join(dirname(file), specifier));
  };
  visit(entry);
  return {
    files: files.length,
    bytes: contents.reduce((sum, c) => sum + c.length, 0),
    gzipBytes: contents.reduce((sum, c) => sum + gzipSync(c).length, 0),
    startupBytes: [...startup].reduce((sum, file) => sum + readFileSync(file).length, 0),
  };
}

/** The SDK client + logger baseline, built by the suite's build into `outdir`. */
export async function buildBaseline(outdir: string): Promise<string> {
  await buildEntry(baselineEntry, outdir);
  return join(outdir, 'index.mjs');
}

/** The current bundles again, with linked source maps, to measure them enabled at run time. */
export async function buildWithSourceMaps(outRoot: string): Promise<ColdStartSubject[]> {
  return Promise.all(
    functionNames().map(async (name) => {
      const outdir = join(outRoot, name);
      const entryPoint = join(distDir, '..', 'functions', name, 'index.ts');
      await buildEntry(entryPoint, outdir, { sourcemap: 'linked' });
      return {
        label: `${name} (source maps on)`,
        entry: join(outdir, 'index.mjs'),
        nodeArgs: ['--enable-source-maps'],
        isFunction: false,
      };
    }),
  );
}

/** npm run build's bundles, plus, for `--compare label=dir`, the folders of another build. */
export function functionSubjects(compare: Record<string, string> = {}): ColdStartSubject[] {
  const current = functionNames().map((name) => ({
    label: name,
    entry: join(distDir, name, 'index.mjs'),
    isFunction: true,
  }));
  const others = Object.entries(compare).flatMap(([label, dir]) =>
    functionNames()
      .filter((name) => existsSync(join(dir, name, 'index.mjs')))
      .map((name) => ({
        label: `${label}: ${name}`,
        entry: join(dir, name, 'index.mjs'),
        isFunction: false,
      })),
  );
  return [...current, ...others];
}

/**
 * Paired cold starts: each round starts Node alone, the baseline and every subject once, each in
 * a fresh process, in a shuffled order, and divides each time by Node's and the baseline's time in
 * the same round. The machine's drift then cancels out of the ratios, which the figures are.
 */
export function measureColdStarts(
  subjects: ColdStartSubject[],
  baseline: string,
  rounds: number,
): ColdStartFigures[] {
  const env = lambdaLikeEnv();
  const all: ColdStartSubject[] = [
    { label: NODE_ALONE, isFunction: false },
    { label: BASELINE, entry: baseline, isFunction: false },
    ...subjects,
  ];
  const samples = all.map(() => [] as Sample[]);
  // One unmeasured round first: the page cache and the disk, not the bundles, would be timed.
  for (const subject of all) timeProcess(subject, env);
  for (let round = 0; round < rounds; round++) {
    const order = all.map((_, i) => i).sort(() => Math.random() - 0.5);
    for (const i of order) (samples[i] as Sample[]).push(timeProcess(all[i] as ColdStartSubject, env));
  }
  const [nodeSamples, baselineSamples] = samples as [Sample[], Sample[]];
  const spread = (values: number[], digits = 1): Spread => ({
    median: round(median(values), digits),
    p95: round(percentile(values, 95), digits),
  });
  const perRound = (own: Sample[], other: Sample[], of: keyof Sample) =>
    spread(
      own.map((sample, r) => sample[of] / (other[r] as Sample)[of]),
      2,
    );
  return all.map((subject, i) => {
    const own = samples[i] as Sample[];
    return {
      label: subject.label,
      isFunction: subject.isFunction,
      ...(subject.entry ? sizesOf(subject.entry) : {}),
      ms: spread(own.map((s) => s.wallMs)),
      vsNode: perRound(own, nodeSamples, 'wallMs'),
      vsBaseline: perRound(own, baselineSamples, 'wallMs'),
      cpuVsNode: perRound(own, nodeSamples, 'cpuMs'),
    };
  });
}

export interface FirstUseFigures {
  function: string;
  /** The package an import() of the function's own code loads (axios, ioredis, pg, SNS...). */
  loads: string;
  /** Time to import that chunk once the bundle is loaded, in the same process: median, p95. */
  ms: Spread;
}

/** "node_modules/@aws-sdk/client-sns/dist-es/index.js" -> "@aws-sdk/client-sns"; own files as they are. */
const packageOf = (input: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? input;

/**
 * What the bundles defer: for each import() in the suite's own code (not the SDK's), the time that
 * first use takes once the bundle is loaded, each in fresh processes of its own. A deferred package
 * is paid for by the step that needs it, once per container, instead of by every cold start.
 */
export async function measureFirstUse(outRoot: string, runs: number): Promise<FirstUseFigures[]> {
  const env = lambdaLikeEnv();
  const figures: FirstUseFigures[] = [];
  for (const name of functionNames()) {
    const outdir = join(outRoot, name);
    const { metafile } = await buildEntry(join(distDir, '..', 'functions', name, 'index.ts'), outdir);
    // The import() calls in the suite's own sources, and the chunk each one loads.
    const targets = new Set(
      Object.entries(metafile.inputs)
        .filter(([input]) => /^(functions|shared)\//.test(input))
        .flatMap(([, { imports }]) => imports.filter((i) => i.kind === 'dynamic-import').map((i) => i.path)),
    );
    const lazy = Object.entries(metafile.outputs)
      .filter(([, output]) => output.entryPoint !== undefined && targets.has(output.entryPoint))
      .map(([chunk, output]) => ({ chunk, loads: packageOf(output.entryPoint as string) }))
      .sort((a, b) => a.loads.localeCompare(b.loads));
    if (lazy.length === 0) continue;
    const root = join(distDir, '..');
    // Each in its own processes, after the bundle only: what that first use costs alone.
    for (const { chunk, loads } of lazy) {
      const script = `
        await import(${JSON.stringify(pathToFileURL(join(outdir, 'index.mjs')).href)});
        const started = performance.now();
        await import(${JSON.stringify(pathToFileURL(join(root, chunk)).href)});
        process.stdout.write(String(performance.now() - started));`;
      const times = Array.from({ length: runs }, () => {
        const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
          env,
          encoding: 'utf8',
        });
        if (result.status !== 0) {
          throw new Error(`${name}: first use of ${loads} failed: ${result.stderr.slice(0, 500)}`);
        }
        return Number(result.stdout);
      });
      figures.push({
        function: name,
        loads,
        ms: { median: round(median(times)), p95: round(percentile(times, 95)) },
      });
    }
  }
  return figures;
}
