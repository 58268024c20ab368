/**
 * `npm run emergency -- --secret-id <id> --reason "<why>" [--revoke-previous] [--function <name>]
 *   [--local [--wait-seconds N]]`
 *
 * For operators: rotate a secret now through the deployed emergency-rotate function (Lambda Invoke
 * with your AWS credentials), or with --local through the built bundle against the endpoints the
 * environment names. Prints the function's report (JSON) on stdout, progress and the function's
 * logs on stderr; exits non-zero when the rotation failed.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { parseArgs } from 'node:util';
import { LambdaInvokeError, LocalLambda } from '../dev/aws/local-lambda';
import { ensureFreshBundles } from '../dev/lib/fresh-build';

const USAGE =
  'usage: npm run emergency -- --secret-id <id> --reason "<why>" [--revoke-previous] [--function <name>] [--local [--wait-seconds N]]';

function usage(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function parse() {
  try {
    return parseArgs({
      options: {
        'secret-id': { type: 'string' },
        reason: { type: 'string' },
        'revoke-previous': { type: 'boolean', default: false },
        function: { type: 'string' },
        local: { type: 'boolean', default: false },
        'wait-seconds': { type: 'string' },
      },
    });
  } catch (error) {
    return usage((error as Error).message);
  }
}
const { values } = parse();
if (!values['secret-id'] || !values.reason) usage('--secret-id and --reason are required');
const waitSeconds = values['wait-seconds'] ?? process.env.EMERGENCY_WAIT_SECONDS ?? '600';
if (!/^\d+$/.test(waitSeconds) || Number(waitSeconds) < 1)
  usage('--wait-seconds needs a whole number of seconds');
if (values['wait-seconds'] && !values.local)
  usage('--wait-seconds applies to --local (the deployed function has its own)');

const request = {
  secretId: values['secret-id'],
  reason: values.reason,
  revokePrevious: values['revoke-previous'],
};
const say = (line: string) => process.stderr.write(`${line}\n`);

async function viaLambda(): Promise<unknown> {
  const functionName =
    values.function ?? `${process.env.ORG ?? 'sergas'}-${process.env.ENVIRONMENT ?? 'dev'}-emergency-rotate`;
  say(`invoking ${functionName}; the function's logs are in CloudWatch Logs (/aws/lambda/${functionName})`);
  const out = await new LambdaClient({}).send(
    new InvokeCommand({
      FunctionName: functionName,
      Payload: new TextEncoder().encode(JSON.stringify(request)),
    }),
  );
  const payload = JSON.parse(out.Payload ? new TextDecoder().decode(out.Payload) : 'null') as unknown;
  if (out.FunctionError) {
    // What the Lambda runtime returns for a failed invocation.
    const failure = (payload ?? {}) as { errorType?: unknown; errorMessage?: unknown };
    const errorType = typeof failure.errorType === 'string' ? failure.errorType : 'EmergencyRotationFailed';
    const message = typeof failure.errorMessage === 'string' ? failure.errorMessage : JSON.stringify(payload);
    throw new LambdaInvokeError(errorType, message, '');
  }
  return payload;
}

/** The `action` of the function's failed audit line: what to do next, as the function says it. */
function actionIn(lambda: LocalLambda): string | undefined {
  const failed = lambda
    .jsonLines()
    .map((line) => line.audit as { outcome?: string; action?: unknown } | undefined)
    .filter((audit) => audit?.outcome === 'failed')
    .at(-1);
  return typeof failed?.action === 'string' ? failed.action : undefined;
}

/** Why a local rotation may never complete: an emulator (moto) does not run the rotation steps. */
const LOCAL_TIMEOUT_HINT =
  'Locally, nothing runs the rotation steps after RotateSecret unless something plays Secrets Manager ' +
  "(moto does not): see docs/operations.md, 'Emergency rotation locally'.";

async function viaLocalBundle(): Promise<unknown> {
  const endpoint = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER ?? process.env.AWS_ENDPOINT_URL ?? 'AWS';
  say(
    `running dist/emergency-rotate locally against ${endpoint}; waiting up to ${waitSeconds} s for the ` +
      'new version to become AWSCURRENT (--wait-seconds)',
  );
  if ((await ensureFreshBundles()).rebuilt) say('rebuilt dist/: the sources are newer than the bundles');
  const lambda = await LocalLambda.start('emergency-rotate', {
    env: { EMERGENCY_WAIT_SECONDS: waitSeconds },
  });
  // The function's log lines as they come, on stderr: stdout is the report alone.
  lambda.child.stdout?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  lambda.child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  try {
    return await lambda.invoke(request);
  } catch (error) {
    const action = actionIn(lambda);
    if (action) say(`what to do: ${action}`);
    if (
      error instanceof LambdaInvokeError &&
      error.errorType === 'RotationTimeoutError' &&
      endpoint !== 'AWS'
    )
      say(LOCAL_TIMEOUT_HINT);
    throw error;
  } finally {
    await lambda.stop();
  }
}

try {
  const report = values.local ? await viaLocalBundle() : await viaLambda();
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} catch (error) {
  const name = error instanceof LambdaInvokeError ? error.errorType : (error as Error).name;
  say(`emergency rotation failed: ${name}: ${(error as Error).message}`);
  process.exit(1);
}
