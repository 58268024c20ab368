import { type ChildProcess, spawn, type SpawnOptions } from 'node:child_process';
import { execFileSync } from 'node:child_process';

/** Whether a command is on PATH. */
export function hasCommand(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface Background {
  child: ChildProcess;
  /** Everything the process printed so far, for error messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Start a long-running process, keep its output, and stop it (TERM, then KILL) on request. */
export function startBackground(command: string, args: string[], options: SpawnOptions = {}): Background {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
