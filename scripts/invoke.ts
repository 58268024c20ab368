/**
 * `npm run invoke -- <function> <event.json> [--env KEY=VALUE ...] [--as <deployed-name>] [--quiet]`
 *
 * What `sam local invoke -e <event.json> <Function>` does, without Docker: runs the built bundle
 * dist/<function>/index.mjs (rebuilt first when any source is newer) in a fresh process with a Lambda-shaped context, against whatever the
 * environment names (AWS_ENDPOINT_URL for moto locally, real AWS with your credentials otherwise).
 * Prints the function's structured log lines to stderr and its result (or error) as JSON to stdout.
 * A rotation function runs under its deployed name (`sergas-dev-<kind>-rotation`, or `--as`), the
 * name a secret's RotationLambdaARN must name for it to act on the secret.
 */
import { existsSync, readFileSync } from 'node:fs';
import { LambdaInvokeError, LocalLambda } from '../dev/aws/local-lambda';
import { deployedName } from '../dev/aws/rotation-functions';
import { rotationKinds } from '../ops/suite';
import { ensureFreshBundles } from '../dev/lib/fresh-build';

function usage(message: string): never {
  process.stderr.write(
    `${message}\nusage: npm run invoke -- <function> <event.json> [--env KEY=VALUE ...] [--as <deployed-name>] [--quiet]\n`,
  );
  process.exit(2);
}

const args = process.argv.slice(2);
const positional: string[] = [];
const env: Record<string, string> = {};
let quiet = false;
let invokedAs: string | undefined;
for (let i = 0; i < args.length; i++) {
  const arg = args[i] ?? '';
  if (arg === '--quiet') quiet = true;
  else if (arg === '--as') {
    invokedAs = args[++i];
    if (!invokedAs) usage('--as needs the function name the secret is wired to');
  } else if (arg === '--env') {
    const [key, ...value] = (args[++i] ?? '').split('=');
    if (!key || value.length === 0) usage('--env needs KEY=VALUE');
    env[key] = value.join('=');
  } else positional.push(arg);
}
const [functionName, eventFile] = positional;
if (!functionName || !eventFile) usage('missing <function> or <event.json>');
if (!existsSync(eventFile)) usage(`no such event file: ${eventFile}`);
let event: unknown;
try {
  event = JSON.parse(readFileSync(eventFile, 'utf8'));
} catch {
  usage(`${eventFile} is not valid JSON`);
}

// An edit since the last build would otherwise run the old bundle, silently.
const { functions, rebuilt } = await ensureFreshBundles();
if (rebuilt && !quiet) process.stderr.write('rebuilt dist/: the sources are newer than the bundles\n');
if (!functions.includes(functionName))
  usage(`unknown function ${functionName}; known: ${functions.join(', ')}`);

invokedAs ??= rotationKinds().includes(functionName) ? deployedName(functionName) : functionName;
const lambda = await LocalLambda.start(functionName, { env, echo: false, invokedAs });
let exitCode = 0;
try {
  const result = await lambda.invoke(event);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} catch (error) {
  exitCode = 1;
  const failure =
    error instanceof LambdaInvokeError
      ? { errorType: error.errorType, errorMessage: error.message }
      : { errorType: 'InvokeError', errorMessage: (error as Error).message };
  process.stdout.write(`${JSON.stringify(failure, null, 2)}\n`);
} finally {
  if (!quiet) process.stderr.write(lambda.output());
  await lambda.stop();
}
process.exit(exitCode);
