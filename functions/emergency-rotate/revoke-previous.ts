import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import * as z from 'zod/mini';
import { RotationError } from '../../shared/rotation/errors';

let client: LambdaClient | undefined;
const lambda = () => (client ??= new LambdaClient({}));

/** What the Lambda runtime returns for a failed invocation. */
const FunctionErrorSchema = z.object({
  errorType: z.optional(z.string()),
  errorMessage: z.optional(z.string()),
});

export class RevokeFailedError extends RotationError {
  override readonly name: string = 'RevokeFailedError';
}

/**
 * Ask the secret's own rotation function to revoke the previous credential: it alone knows the
 * target and has the network path and permissions to reach it (a VPC database, say).
 */
export async function invokeRevoke(
  rotationLambdaArn: string,
  secretArn: string,
  reason: string,
  previousVersionId?: string,
): Promise<void> {
  const out = await lambda().send(
    new InvokeCommand({
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
    }),
  );
  if (out.FunctionError) {
    const text = out.Payload ? new TextDecoder().decode(out.Payload) : '{}';
    let detail = '';
    try {
      const parsed = FunctionErrorSchema.safeParse(JSON.parse(text));
      if (parsed.success) detail = `${parsed.data.errorType ?? 'Error'}: ${parsed.data.errorMessage ?? ''}`;
    } catch {
      detail = 'no error detail';
    }
    throw new RevokeFailedError(
      `revoking the previous credential failed in the rotation function (${detail})`,
      {
        action:
          'The new credential is AWSCURRENT; revoke the previous one by hand on the target, then check the rotation function.',
      },
    );
  }
}
