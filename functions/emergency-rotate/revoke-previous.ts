import type { InvokeCommandInput, InvokeCommandOutput } from '@aws-sdk/client-lambda';
import * as z from 'zod/mini';
import { type Deadline, sdkCall } from '../../shared/net/deadline';
import { RevokeFailedError } from './errors';

type Invoke = (
  input: InvokeCommandInput,
  options: { abortSignal?: AbortSignal },
) => Promise<InvokeCommandOutput>;
let invoker: Promise<Invoke> | undefined;

/** The Lambda client, loaded (its own chunk) on the first revoke: most emergencies do not revoke. */
function lambdaInvoker(): Promise<Invoke> {
  invoker ??= import('@aws-sdk/client-lambda').then(({ LambdaClient, InvokeCommand }) => {
    const client = new LambdaClient({});
    return (input, options) => client.send(new InvokeCommand(input), options);
  });
  return invoker;
}

/** What the Lambda runtime returns for a failed invocation. */
const FunctionErrorSchema = z.object({
  errorType: z.optional(z.string()),
  errorMessage: z.optional(z.string()),
});

/**
 * What the rotation function answers after revoking (the core's StepReport). Anything else means
 * the invocation did not reach a rotation function of this suite, or one too old to know the action.
 */
const RevokeReportSchema = z.object({
  step: z.literal('revokePrevious'),
  outcome: z.literal('succeeded'),
});

const REVOKE_BY_HAND =
  'The new credential is AWSCURRENT; revoke the previous one by hand on the target, then check the rotation function.';

function parsePayload(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Ask the secret's own rotation function to revoke the previous credential: it alone knows the
 * target and has the network path and permissions to reach it (a VPC database, say).
 */
export async function invokeRevoke(
  rotationLambdaArn: string,
  secretArn: string,
  reason: string,
  deadline: Deadline,
  previousVersionId?: string,
): Promise<void> {
  const invoke = await lambdaInvoker();
  const out = await invoke(
    {
      FunctionName: rotationLambdaArn,
      InvocationType: 'RequestResponse',
      Payload: new TextEncoder().encode(
        JSON.stringify({
          Action: 'revokePrevious',
          SecretId: secretArn,
          Reason: reason,
          ...(previousVersionId ? { PreviousVersionId: previousVersionId } : {}),
        }),
      ),
    },
    sdkCall(deadline, `the rotation function ${rotationLambdaArn} (Lambda Invoke, revokePrevious)`),
  );
  const payload = parsePayload(out.Payload ? new TextDecoder().decode(out.Payload) : '');
  if (out.FunctionError) {
    const parsed = FunctionErrorSchema.safeParse(payload);
    const detail = parsed.success
      ? `${parsed.data.errorType ?? 'Error'}: ${parsed.data.errorMessage ?? ''}`
      : 'no error detail';
    throw new RevokeFailedError(
      `revoking the previous credential failed in the rotation function (${detail})`,
      { action: REVOKE_BY_HAND },
    );
  }
  // A success status alone proves nothing: claiming a revoke that did not happen is worse than failing.
  if (!RevokeReportSchema.safeParse(payload).success) {
    throw new RevokeFailedError(
      `${rotationLambdaArn} answered without an error but did not confirm the revoke (expected its report with step revokePrevious, outcome succeeded)`,
      {
        action: `Check that the secret's rotation function is this suite's function for its kind. ${REVOKE_BY_HAND}`,
      },
    );
  }
}
