/**
 * `npm run emergency -- --secret-id <id> --reason "<why>" [--revoke-previous] [--function <name>]
 *   [--local [--wait-seconds N]]`
 * `npm run emergency -- --match '<glob>' ... --tag key[=value] ... --reason "<why>" [--revoke-previous]
 *   [--concurrency 4] [--dry-run] [--json] [--org <org>] [--env <env>] [--topic-arn <arn>]
 *   [--function <name>] [--local [--wait-seconds N]]`
 *
 * For operators: rotate a secret now through the deployed emergency-rotate function (Lambda Invoke
 * with your AWS credentials), or with --local through the built bundle against the endpoints the
 * environment names. Prints the function's report (JSON) on stdout, progress and the function's
 * logs on stderr; exits non-zero when the rotation failed.
 *
 * With --match/--tag instead of --secret-id (repeatable, all must match), every matching secret
 * wired to one of the stack's rotation functions, `--concurrency` at a time: a progress line per
 * secret on stderr, a table on stdout, one summary to the alert topic; exit 1 when any failed,
 * 3 when the run could not start (the secrets could not be listed, the local bundle not
 * started). --dry-run lists what it would rotate and changes nothing.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { parseArgs } from 'node:util';
import { runFleetCommand } from '../ops/emergency/command';
import { alertTopicOf, deployedInvoker, publishFleetNotice } from '../ops/emergency/deployed';
import { type FleetFilter, FilterError, parseTag } from '../ops/emergency/filters';
import { emergencyFunctionName } from '../ops/suite';
import { LambdaInvokeError, LocalLambda } from '../dev/aws/local-lambda';
import { startLocalEmergencyPool } from '../dev/aws/local-emergency';
import { ensureFreshBundles } from '../dev/lib/fresh-build';

const USAGE = [
  'usage: npm run emergency -- --secret-id <id> --reason "<why>" [--revoke-previous] [--function <name>] [--local [--wait-seconds N]]',
  '       npm run emergency -- --match <glob> | --tag <key[=value]> ... --reason "<why>" [--revoke-previous]',
  '         [--concurrency N] [--dry-run] [--json] [--org <org>] [--env <env>] [--topic-arn <arn>] [--function <name>] [--local [--wait-seconds N]]',
].join('\n');

function usage(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function parse() {
  try {
    return parseArgs({
      options: {
        'secret-id': { type: 'string' },
        match: { type: 'string', multiple: true, default: [] },
        tag: { type: 'string', multiple: true, default: [] },
        reason: { type: 'string' },
        'revoke-previous': { type: 'boolean', default: false },
        concurrency: { type: 'string', default: '4' },
        'dry-run': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        org: { type: 'string', default: process.env.ORG ?? 'sergas' },
        env: { type: 'string', default: process.env.ENVIRONMENT ?? 'dev' },
        'topic-arn': { type: 'string' },
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
const fleet = values.match.length > 0 || values.tag.length > 0;
if (fleet && values['secret-id']) usage('give either --secret-id or --match/--tag, not both');
if (fleet && !values.reason) usage('--reason is required (it goes to every audit line)');
if (!fleet && (!values['secret-id'] || !values.reason)) usage('--secret-id and --reason are required');
if (!fleet && (values['dry-run'] || values.json))
  usage('--dry-run and --json apply to --match/--tag (a fleet)');
const waitSeconds = values['wait-seconds'] ?? process.env.EMERGENCY_WAIT_SECONDS ?? '600';
if (!/^\d+$/.test(waitSeconds) || Number(waitSeconds) < 1)
  usage('--wait-seconds needs a whole number of seconds');
if (values['wait-seconds'] && !values.local)
  usage('--wait-seconds applies to --local (the deployed function has its own)');

const stack = { org: values.org, env: values.env };
const functionName = values.function ?? emergencyFunctionName(stack);
const request = {
  secretId: values['secret-id'] as string,
  reason: values.reason as string,
  revokePrevious: values['revoke-previous'],
};
const say = (line: string) => process.stderr.write(`${line}\n`);

async function viaLambda(): Promise<unknown> {
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

function fleetFilter(): FleetFilter {
  try {
    return { match: values.match, tags: values.tag.map(parseTag) };
  } catch (error) {
    return usage((error as Error).message);
  }
}

/** The fleet: the deployed function per secret, or --local a warm bundle process per worker. */
async function rotateFleet(): Promise<number> {
  const concurrency = Number(values.concurrency);
  if (!/^\d+$/.test(values.concurrency) || concurrency < 1 || concurrency > 32)
    usage('--concurrency needs a whole number from 1 to 32');
  const endpoint = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER ?? process.env.AWS_ENDPOINT_URL ?? 'AWS';
  return runFleetCommand({
    stack,
    filter: fleetFilter(),
    reason: request.reason,
    revokePrevious: request.revokePrevious,
    concurrency,
    dryRun: values['dry-run'],
    json: values.json,
    via: values.local ? `dist/emergency-rotate (local, against ${endpoint})` : functionName,
    async startInvoker(workers) {
      if (!values.local) return { invoke: deployedInvoker(functionName), stop: async () => undefined };
      if ((await ensureFreshBundles()).rebuilt) say('rebuilt dist/: the sources are newer than the bundles');
      return startLocalEmergencyPool(workers, { EMERGENCY_WAIT_SECONDS: waitSeconds });
    },
    alertTopic: async () =>
      values['topic-arn'] ??
      (process.env.ALERT_TOPIC_ARN || undefined) ??
      (values.local ? undefined : await alertTopicOf(functionName)),
    publish: publishFleetNotice,
    print: (text) => process.stdout.write(`${text}\n`),
    say,
  });
}

if (fleet) {
  try {
    process.exitCode = await rotateFleet();
  } catch (error) {
    if (error instanceof FilterError) usage(error.message);
    const where = process.env.AWS_ENDPOINT_URL ?? 'AWS';
    // Each secret's failure is in the table: what lands here stopped the run before any rotation.
    say(
      `the fleet emergency could not run against ${where}: ${(error as Error).name}: ${(error as Error).message}`,
    );
    process.exitCode = 3;
  }
} else {
  try {
    const report = values.local ? await viaLocalBundle() : await viaLambda();
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } catch (error) {
    const name = error instanceof LambdaInvokeError ? error.errorType : (error as Error).name;
    say(`emergency rotation failed: ${name}: ${(error as Error).message}`);
    process.exit(1);
  }
}
