import { GetFunctionConfigurationCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { type EmergencyInvoke, FunctionError } from './fleet';
import type { FleetNotice } from './summary';

/**
 * One attempt per invocation: a retried Invoke (after a socket timeout, a 5xx) would start a
 * second emergency rotation of the same secret, and with revokePrevious revoke the credential the
 * first one just handed out. Patient with the function: it may wait up to its 900 s timeout.
 */
function lambdaClient(): LambdaClient {
  return new LambdaClient({
    maxAttempts: 1,
    requestHandler: { requestTimeout: 910_000, connectionTimeout: 10_000 },
  });
}

/** What Lambda's throttling means here: the function's reserved concurrency is below --concurrency. */
const THROTTLED_ACTION =
  "emergency-rotate's reserved concurrency is below --concurrency: rerun with a lower --concurrency for the failed secrets.";

/** Lambda Invoke of the deployed emergency-rotate, once per secret, with the caller's credentials. */
export function deployedInvoker(functionName: string): EmergencyInvoke {
  const client = lambdaClient();
  return async (request) => {
    let out;
    try {
      out = await client.send(
        new InvokeCommand({
          FunctionName: functionName,
          Payload: new TextEncoder().encode(JSON.stringify(request)),
        }),
      );
    } catch (error) {
      const name = (error as Error).name;
      throw new FunctionError(
        name,
        `could not invoke ${functionName}: ${(error as Error).message}`,
        name === 'TooManyRequestsException' ? THROTTLED_ACTION : undefined,
      );
    }
    const text = out.Payload ? new TextDecoder().decode(out.Payload) : 'null';
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      payload = text;
    }
    if (out.FunctionError) {
      const failure = (payload ?? {}) as { errorType?: unknown; errorMessage?: unknown };
      throw new FunctionError(
        typeof failure.errorType === 'string' ? failure.errorType : 'EmergencyRotationFailed',
        typeof failure.errorMessage === 'string' ? failure.errorMessage : JSON.stringify(payload),
        `Read ${functionName}'s logs in CloudWatch Logs (/aws/lambda/${functionName}) for the failed step.`,
      );
    }
    return payload;
  };
}

/** The alert topic the deployed function publishes to (its ALERT_TOPIC_ARN), if it has one. */
export async function alertTopicOf(functionName: string): Promise<string | undefined> {
  const config = await new LambdaClient({}).send(
    new GetFunctionConfigurationCommand({ FunctionName: functionName }),
  );
  return config.Environment?.Variables?.ALERT_TOPIC_ARN || undefined;
}

export async function publishFleetNotice(topicArn: string, notice: FleetNotice): Promise<void> {
  await new SNSClient({}).send(
    new PublishCommand({ TopicArn: topicArn, Subject: notice.subject, Message: notice.message }),
  );
}
