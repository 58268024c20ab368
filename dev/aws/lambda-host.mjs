// A warm Lambda container in a child process: loads one built bundle once, then runs each event
// the parent sends over IPC with a Lambda-shaped context, as the Node runtime would. Everything the
// function prints goes to this process's stdout/stderr, which the parent keeps.
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';

const [bundlePath] = process.argv.slice(2);
const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'local-function';
// The name Lambda would invoke it under (its invokedFunctionArn), which the functions compare with
// a secret's RotationLambdaARN: the deployed name, or the stand-in a test wired the secret to.
const invokedName = process.env.LOCAL_LAMBDA_INVOKED_AS ?? functionName;
const timeoutMs = Number(process.env.LAMBDA_TIMEOUT_MS ?? 300_000);

const initStarted = performance.now();
const { handler } = await import(pathToFileURL(bundlePath).href);
const initMs = performance.now() - initStarted;
if (typeof handler !== 'function') throw new Error(`${bundlePath} exports no handler function`);

function lambdaContext() {
  const deadline = Date.now() + timeoutMs;
  const region = process.env.AWS_REGION ?? 'us-east-1';
  return {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:123456789012:function:${invokedName}`,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

process.on('message', async (message) => {
  if (message.type === 'memory') {
    process.send({
      id: message.id,
      ok: true,
      result: { ...process.memoryUsage(), maxRssKb: process.resourceUsage().maxRSS },
    });
    return;
  }
  try {
    const result = await handler(message.event, lambdaContext());
    process.send({ id: message.id, ok: true, result: result ?? null });
  } catch (error) {
    // What the Lambda runtime reports for a failed invocation: type, message, stack.
    process.send({
      id: message.id,
      ok: false,
      error: {
        name: error?.name ?? 'Error',
        message: error?.message ?? String(error),
        stack: error?.stack ?? '',
      },
    });
  }
});

process.send({ type: 'ready', initMs });
