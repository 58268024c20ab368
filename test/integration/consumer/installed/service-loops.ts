import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** What one service loop reports when stopped (see service-loop.mjs). */
export interface LoopFigures {
  kind: string;
  node: string;
  requests: number;
  failed: number;
  failures: string[];
  /** Retries by phase: `rotations` (the 20 scheduled ones) and `emergency` (after the revoke). */
  retries: Record<string, number>;
  retryReasons: Record<string, number>;
  /** What the service saw: PostgreSQL users, MCP labels. */
  seen: string[];
}

export interface RunningLoop {
  label: string;
  send(command: string): void;
  /** Resolves once the service has answered `count` more requests. */
  answered(count: number): Promise<void>;
  /** Everything it printed, for the no-leak check. */
  output(): string;
  stop(): Promise<LoopFigures>;
  /** End it whatever state it is in (cleanup after a failure). */
  kill(): void;
}

/** Start `script` with one Node binary in `cwd`; resolves once its first request succeeded. */
export async function startLoop(options: {
  label: string;
  node: string;
  script: string;
  cwd: string;
  config: Record<string, unknown>;
}): Promise<RunningLoop> {
  const env: NodeJS.ProcessEnv = { ...process.env, SERVICE_CONFIG: JSON.stringify(options.config) };
  delete env.NODE_OPTIONS; // vitest's hooks are not the service's
  const child: ChildProcess = spawn(options.node, [options.script], { cwd: options.cwd, env });
  let output = '';
  const lines: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  if (!child.stdout) throw new Error(`${options.label}: no stdout`);
  createInterface({ input: child.stdout }).on('line', (line) => {
    output += `${line}\n`;
    const waiter = waiters.shift();
    if (waiter) waiter(line);
    else lines.push(line);
  });
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const nextLine = (what: string, timeoutMs: number) =>
    new Promise<string>((resolve, reject) => {
      const queued = lines.shift();
      if (queued !== undefined) return resolve(queued);
      const timer = setTimeout(
        () => reject(new Error(`${options.label}: no ${what} within ${timeoutMs} ms:\n${output}`)),
        timeoutMs,
      );
      void exited.then((code) => reject(new Error(`${options.label} exited (${code}):\n${output}`)));
      waiters.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });

  let first: string;
  try {
    first = await nextLine('first successful request', 20_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  if (first !== 'ready') {
    child.kill('SIGKILL');
    throw new Error(`${options.label} said ${first}:\n${output}`);
  }
  return {
    label: options.label,
    send: (command) => child.stdin?.write(`${command}\n`),
    async answered(count) {
      child.stdin?.write(`mark ${count}\n`);
      const line = await nextLine(`${count} more answers`, 30_000);
      if (line !== 'marked') throw new Error(`${options.label} said ${line}:\n${output}`);
    },
    output: () => output,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    async stop() {
      child.stdin?.write('stop\n');
      const figures = JSON.parse(await nextLine('figures', 20_000)) as LoopFigures;
      await exited;
      return figures;
    },
  };
}
