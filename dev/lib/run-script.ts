import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { delimiter, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');

export interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment an operator's shell would have after `npm ci`: this process's (moto's endpoint
 * and dummy credentials from test/support/setup-moto.ts), with the pinned Node first on PATH, as
 * npm scripts get it.
 */
function operatorEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter),
    ...extra,
  };
}

function run(command: string, args: string[], env: Record<string, string>, timeoutMs: number) {
  return new Promise<ScriptRun>((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: root,
      env: operatorEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `tsx scripts/<script> ...args` on the pinned Node: what `npm run <script> -- ...args` runs. */
export function runScript(
  script: string,
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<ScriptRun> {
  return run(process.execPath, [tsxCli, `scripts/${script}`, ...args], env, timeoutMs);
}

/** `npm run --silent <name> -- ...args`, through npm itself (proves the package.json wiring). */
export function runNpmScript(
  name: string,
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<ScriptRun> {
  return run('npm', ['run', '--silent', name, '--', ...args], env, timeoutMs);
}

/** The JSON lines a script printed (structured logs, EMF metrics). */
export function jsonLinesOf(text: string): Record<string, unknown>[] {
  return text.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}
