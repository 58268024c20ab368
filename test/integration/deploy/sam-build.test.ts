import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTemplate } from '../../../dev/lib/cfn-yaml';

/**
 * `sam build`, done the way the SAM CLI does it for `BuildMethod: makefile` (SAM itself cannot be
 * installed here): for each function, copy CodeUri to a scratch folder, then run
 * `make --makefile <CodeUri>/Makefile build-<LogicalId>` in it with ARTIFACTS_DIR set to an empty
 * folder. With samconfig.toml's build_in_source, SAM runs the same command in the repository
 * itself; both are checked. Each artefact must load and export `handler`, and be byte for byte
 * the dist/<function>/ folder that npm run build wrote (the global setup ran it) and every other
 * test ran.
 *
 * The scratch copy leaves out node_modules and the build outputs (SAM would copy them when they
 * exist): the Makefile builds from its own folder, so the copy's content does not matter, and a
 * copy without node_modules proves it, as a build from the copy could not resolve one package.
 */
const root = process.cwd();
const run = promisify(execFile);
const template = parseTemplate(readFileSync('template.yaml', 'utf8'));
const functionIds = Object.entries(template.Resources)
  .filter(([, r]) => r.Type === 'AWS::Serverless::Function')
  .map(([id]) => id);
const codeUri = template.Globals?.Function?.CodeUri as string;
const notCopied = new Set(['.git', '.aws-sam', 'node_modules', 'dist', '.tmp', '.bench', 'coverage']);

let work: string;
const builtBy: Record<string, Record<string, string>> = {};

/** Every file under `dir` (relative path) with its SHA-256. */
function hashes(dir: string): Record<string, string> {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  return Object.fromEntries(
    files
      .map((e) => join(e.parentPath, e.name))
      .map((path) => [relative(dir, path), createHash('sha256').update(readFileSync(path)).digest('hex')])
      .sort(([a], [b]) => (a ?? '').localeCompare(b ?? '')),
  );
}

async function samMakeBuild(id: string, cwd: string, artifactsDir: string): Promise<string> {
  const { stdout } = await run('make', ['--makefile', join(root, codeUri, 'Makefile'), `build-${id}`], {
    cwd,
    env: { ...process.env, ARTIFACTS_DIR: artifactsDir },
  });
  return stdout;
}

/** The functions/ folder a resource deploys: its FunctionName is {org}-{env}-<folder>[-rotation]. */
function folderOf(id: string): string {
  const name = String((template.Resources[id]?.Properties?.FunctionName as { 'Fn::Sub': string })['Fn::Sub']);
  const folder = readdirSync('functions').find((f) => new RegExp(`-${f}(-rotation)?$`).test(name));
  if (!folder) throw new Error(`no functions/ folder for ${id} (${name})`);
  return folder;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'sam-build-'));
  const scratch = join(work, 'scratch');
  cpSync(join(root, codeUri), scratch, {
    recursive: true,
    filter: (source) => !notCopied.has(relative(join(root, codeUri), source).split('/')[0] ?? ''),
  });
  // Both modes at once, as `sam build --parallel` runs its builds.
  await Promise.all(
    functionIds.flatMap((id) =>
      (['scratch', 'in-source'] as const).map(async (mode) => {
        const artifactsDir = join(work, mode, id);
        await samMakeBuild(id, mode === 'scratch' ? scratch : root, artifactsDir);
        builtBy[`${mode} ${id}`] = hashes(artifactsDir);
      }),
    ),
  );
}, 120_000);
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('sam build (BuildMethod: makefile)', () => {
  it('builds every function of the template', () => {
    expect(functionIds.length).toBeGreaterThanOrEqual(7);
    expect(Object.keys(builtBy)).toHaveLength(functionIds.length * 2);
  });

  it.each(functionIds)(
    "%s: the artefact is npm run build's dist folder, byte for byte, from a copy or in source",
    (id) => {
      const fromCopy = builtBy[`scratch ${id}`] ?? {};
      expect(Object.keys(fromCopy)).toContain('index.mjs');
      expect(fromCopy).toEqual(hashes(join('dist', folderOf(id))));
      expect(builtBy[`in-source ${id}`]).toEqual(fromCopy);
    },
  );

  it.each(functionIds)('%s: the artefact loads in a fresh Node and exports handler', async (id) => {
    const entry = pathToFileURL(join(work, 'scratch', id, 'index.mjs')).href;
    const { stdout } = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(entry)}); console.log(typeof m.handler)`,
      ],
      { cwd: work, env: { ...process.env, AWS_REGION: 'us-east-1' } },
    );
    expect(stdout.trim()).toBe('function');
  });
});
