import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../../../..');
export const PACKAGE_DIR = join(root, 'packages/consumer');
export const PACKAGE_NAME = '@secret-rotation-suite/consumer';

/** The peers a service brings; installed at the versions this repository tests with. */
const PEERS = ['@aws-sdk/client-secrets-manager', 'pg', 'ioredis', 'redis'];

export interface PackedPackage {
  tarball: string;
  /** Size of the .tgz, in bytes. */
  size: number;
  unpackedSize: number;
  files: string[];
  /** A project outside the repository that installed the tarball and the peers. */
  project: string;
  /** What `npm install` printed (added N packages...). */
  installOutput: string;
  peers: Record<string, string>;
}

function versionOf(name: string): string {
  return (
    JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }
  ).version;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => statSync(join(dir, name)).isFile())
    .sort();
}

/** Everything that goes into the tarball, and the peers it is installed with: the cache key. */
function contentKey(peers: Record<string, string>): string {
  const hash = createHash('sha256');
  for (const file of ['package.json', 'tsconfig.build.json', 'README.md']) {
    hash.update(file).update(readFileSync(join(PACKAGE_DIR, file)));
  }
  for (const file of filesUnder(join(PACKAGE_DIR, 'src'))) {
    hash.update(file).update(readFileSync(join(PACKAGE_DIR, 'src', file)));
  }
  hash.update(JSON.stringify(peers));
  return hash.digest('hex').slice(0, 16);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `npm pack` the package (its prepack builds it with tsc) and `npm install` the tarball into a
 * scratch project under the OS temp dir, outside this repository, so nothing resolves from the
 * repository's node_modules. Done once per content: test files and later runs reuse it (a lock
 * directory keeps concurrent test files from packing twice).
 */
export async function packedPackage(): Promise<PackedPackage> {
  const peers = Object.fromEntries(PEERS.map((name) => [name, versionOf(name)]));
  const home = join(tmpdir(), `secret-rotation-consumer-${contentKey(peers)}`);
  const done = join(home, 'packed.json');
  const lock = `${home}.lock`;
  for (;;) {
    if (existsSync(done)) return JSON.parse(readFileSync(done, 'utf8')) as PackedPackage;
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another test file is packing; a lock older than two minutes belongs to a dead run.
      if (Date.now() - statSync(lock).mtimeMs > 120_000) rmSync(lock, { recursive: true, force: true });
      await sleep(200);
    }
  }
  try {
    rmSync(home, { recursive: true, force: true });
    const project = join(home, 'project');
    mkdirSync(project, { recursive: true });
    const { stdout: packJson } = await run('npm', ['pack', '--json', '--pack-destination', home], {
      cwd: PACKAGE_DIR,
    });
    const [packed] = JSON.parse(packJson.slice(packJson.indexOf('['))) as {
      filename: string;
      size: number;
      unpackedSize: number;
      files: { path: string }[];
    }[];
    if (!packed) throw new Error('npm pack reported nothing');
    const tarball = join(home, packed.filename);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer-scratch-service', private: true, type: 'module' }, null, 2),
    );
    // From the npm cache that `npm ci` filled: no registry round trip when it is warm.
    const install = await run(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--no-update-notifier',
        tarball,
        ...Object.entries(peers).map(([name, version]) => `${name}@${version}`),
      ],
      { cwd: project },
    );
    // The MCP SDK is the test's client, not a dependency under test: linked, not installed.
    mkdirSync(join(project, 'node_modules/@modelcontextprotocol'), { recursive: true });
    symlinkSync(
      join(root, 'node_modules/@modelcontextprotocol/sdk'),
      join(project, 'node_modules/@modelcontextprotocol/sdk'),
    );
    const result: PackedPackage = {
      tarball,
      size: packed.size,
      unpackedSize: packed.unpackedSize,
      files: packed.files.map((file) => file.path).sort(),
      project,
      installOutput: `${install.stdout}${install.stderr}`.trim(),
      peers,
    };
    writeFileSync(done, JSON.stringify(result, null, 2));
    return result;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** The Node binaries to prove the package on: the pinned one running the tests, and a Node 20. */
export async function nodeBinaries(): Promise<{ label: string; bin: string; version: string }[]> {
  const candidates = [process.env.NODE20_BIN, '/usr/bin/node', '/usr/local/bin/node', '/bin/node'];
  let node20: { bin: string; version: string } | undefined;
  for (const bin of candidates) {
    if (!bin || !existsSync(bin)) continue;
    const { stdout } = await run(bin, ['--version']);
    if (stdout.trim().startsWith('v20.')) {
      node20 = { bin, version: stdout.trim() };
      break;
    }
  }
  if (!node20) throw new Error('no Node 20 found (set NODE20_BIN): the package promises Node 20 and later');
  return [
    { label: 'node20', ...node20 },
    { label: 'node24', bin: process.execPath, version: process.version },
  ];
}
