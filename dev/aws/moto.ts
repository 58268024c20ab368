import { fileURLToPath } from 'node:url';
import { freePort, waitFor } from '../lib/ports';
import { type Background, hasCommand, startBackground } from '../lib/processes';

export interface MotoServer {
  endpoint: string;
  stop(): Promise<void>;
}

export const MOTO_INSTALL_HINT =
  'moto_server is not on PATH. Install it with: pip install "moto[server]" (python 3.9+).';

/** moto's server with Secrets Manager's ScheduleExpression rules and RotateImmediately=false (see the file). */
export const MOTO_LAUNCHER = fileURLToPath(new URL('./moto_server.py', import.meta.url));

/**
 * moto's server, playing Secrets Manager, SNS, IAM, Lambda, CloudFormation and EventBridge Scheduler
 * on a free loopback port. Lambda runs without Docker: RotateSecret only needs a function ARN that
 * moto knows, it never invokes it. Started through MOTO_LAUNCHER, so rotation schedules given as
 * cron()/rate() expressions are kept as Secrets Manager keeps them.
 */
export async function startMoto(): Promise<MotoServer> {
  if (!hasCommand('moto_server')) throw new Error(MOTO_INSTALL_HINT);
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const server: Background = startBackground('python3', [
    MOTO_LAUNCHER,
    '-H',
    '127.0.0.1',
    '-p',
    String(port),
  ]);
  try {
    await waitFor('moto_server to answer', async () => {
      const response = await fetch(`${endpoint}/moto-api/config`, {
        method: 'POST',
        body: JSON.stringify({ lambda: { use_docker: false } }),
      });
      return response.ok;
    });
  } catch (error) {
    await server.stop();
    throw new Error(`${(error as Error).message}\n${server.output()}`, { cause: error });
  }
  return { endpoint, stop: () => server.stop() };
}

/** The environment the AWS SDK needs to talk to moto instead of AWS. */
export function motoEnvironment(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
  };
}
