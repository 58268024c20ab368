import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { localSuiteFunctionArns, STAND_IN_FUNCTION_NAME } from './rotation-driver';

const root = fileURLToPath(new URL('../..', import.meta.url));
const hostScript = join(root, 'dev/aws/lambda-host.mjs');

/** The path of a function's built bundle (npm run build). */
export function bundlePath(functionName: string): string {
  return join(root, 'dist', functionName, 'index.mjs');
}

/** A failed invocation, as the Lambda runtime reports it: the function's error type and message. */
export class LambdaInvokeError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
    readonly trace: string,
  ) {
    super(message);
    this.name = errorType;
  }
}

export interface MemoryReport {
  rss: number;
  heapUsed: number;
  maxRssKb: number;
}

interface Reply {
  id?: number;
  type?: string;
  ok?: boolean;
  result?: unknown;
  error?: { name: string; message: string; stack: string };
  initMs?: number;
}

/**
 * A built function running in its own warm process, the way Lambda keeps a container: module
 * initialisation once, then invocations one after another. Its stdout and stderr (the structured
 * logs and EMF metrics) are kept for inspection; nothing is printed unless `echo` is set.
 */
export class LocalLambda {
  #output = '';
  #nextId = 1;
  readonly #pending = new Map<number, (reply: Reply) => void>();

  #initMs = 0;

  private constructor(
    readonly functionName: string,
    readonly child: ChildProcess,
    echo: boolean,
  ) {
    const keep = (chunk: Buffer) => {
      this.#output += chunk.toString();
      if (echo) process.stdout.write(chunk);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('message', (reply: Reply) => {
      if (reply.id === undefined) return;
      this.#pending.get(reply.id)?.(reply);
      this.#pending.delete(reply.id);
    });
    child.on('exit', (code) => {
      for (const resolve of this.#pending.values()) {
        resolve({
          ok: false,
          error: { name: 'Runtime.ExitError', message: `process exited (${code})`, stack: '' },
        });
      }
      this.#pending.clear();
    });
  }

  /** Module initialisation time measured inside the process (the cold part of a cold start). */
  get initMs(): number {
    return this.#initMs;
  }

  static async start(
    functionName: string,
    options: {
      env?: Record<string, string>;
      echo?: boolean;
      bundle?: string;
      /**
       * The function name its Lambda context carries (invokedFunctionArn in moto's account): the
       * name a secret's RotationLambdaARN must name for the function to act on it. Default: the
       * stand-in RotationDriver wires secrets to when it is given no name.
       */
      invokedAs?: string;
    } = {},
  ): Promise<LocalLambda> {
    const bundle = options.bundle ?? bundlePath(functionName);
    if (!existsSync(bundle)) throw new Error(`${bundle} does not exist: run npm run build first`);
    const child = fork(hostScript, [bundle], {
      env: {
        ...process.env,
        // What the Lambda runtime sets, and Powertools reads (cold-start metric, service name).
        AWS_LAMBDA_FUNCTION_NAME: functionName,
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
        POWERTOOLS_SERVICE_NAME: functionName,
        LOCAL_LAMBDA_INVOKED_AS: options.invokedAs ?? STAND_IN_FUNCTION_NAME,
        // What template.yaml sets for it: the rotation functions it may act through.
        ...(functionName === 'emergency-rotate'
          ? { SUITE_ROTATION_FUNCTION_ARNS: localSuiteFunctionArns() }
          : {}),
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      execArgv: [],
    });
    const lambda = new LocalLambda(functionName, child, options.echo ?? false);
    lambda.#initMs = await new Promise<number>((resolve, reject) => {
      const onExit = (code: number | null) =>
        reject(new Error(`${functionName} exited during init (${code}):\n${lambda.#output}`));
      child.once('exit', onExit);
      child.once('message', (message: Reply) => {
        child.off('exit', onExit);
        resolve(message.initMs ?? 0);
      });
    });
    return lambda;
  }

  #request(message: Record<string, unknown>): Promise<Reply> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.child.send({ ...message, id });
    });
  }

  /** Run one event; resolves with the handler's result, rejects with LambdaInvokeError. */
  async invoke(event: unknown): Promise<unknown> {
    const reply = await this.#request({ type: 'invoke', event });
    if (reply.ok) return reply.result;
    const error = reply.error ?? { name: 'Error', message: 'unknown failure', stack: '' };
    throw new LambdaInvokeError(error.name, error.message, error.stack);
  }

  async memory(): Promise<MemoryReport> {
    const reply = await this.#request({ type: 'memory' });
    return reply.result as MemoryReport;
  }

  /** Everything the function printed so far. */
  output(): string {
    return this.#output;
  }

  /** The JSON lines the function printed (logs and EMF metrics). */
  jsonLines(): Record<string, unknown>[] {
    return this.#output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}
