/**
 * `npm run emergency -- --secret-id <id> --reason "<why>" [--revoke-previous] [--function <name>] [--local]`
 *
 * For operators: rotate a secret now through the deployed emergency-rotate function (Lambda Invoke
 * with your AWS credentials), or with --local through the built bundle against the endpoints the
 * environment names. Prints the function's report; exits non-zero when the rotation failed.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { parseArgs } from 'node:util';
import { LambdaInvokeError, LocalLambda } from './lib/local-lambda';

const { values } = parseArgs({
  options: {
    'secret-id': { type: 'string' },
    reason: { type: 'string' },
    'revoke-previous': { type: 'boolean', default: false },
    function: { type: 'string' },
    local: { type: 'boolean', default: false },
  },
});
if (!values['secret-id'] || !values.reason) {
  process.stderr.write(
    'usage: npm run emergency -- --secret-id <id> --reason "<why>" [--revoke-previous] [--function <name>] [--local]\n',
  );
  process.exit(2);
}
const request = {
  secretId: values['secret-id'],
  reason: values.reason,
  revokePrevious: values['revoke-previous'],
};

async function viaLambda(): Promise<unknown> {
  const functionName =
    values.function ?? `${process.env.ORG ?? 'sergas'}-${process.env.ENVIRONMENT ?? 'dev'}-emergency-rotate`;
  const out = await new LambdaClient({}).send(
    new InvokeCommand({
      FunctionName: functionName,
      Payload: new TextEncoder().encode(JSON.stringify(request)),
    }),
  );
  const payload = JSON.parse(out.Payload ? new TextDecoder().decode(out.Payload) : 'null') as unknown;
  if (out.FunctionError)
    throw Object.assign(new Error(JSON.stringify(payload)), { name: 'EmergencyRotationFailed' });
  return payload;
}

async function viaLocalBundle(): Promise<unknown> {
  const lambda = await LocalLambda.start('emergency-rotate', { echo: true });
  try {
    return await lambda.invoke(request);
  } finally {
    await lambda.stop();
  }
}

try {
  const report = values.local ? await viaLocalBundle() : await viaLambda();
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} catch (error) {
  const name = error instanceof LambdaInvokeError ? error.errorType : (error as Error).name;
  process.stderr.write(`emergency rotation failed: ${name}: ${(error as Error).message}\n`);
  process.exit(1);
}
