import { WrongRotationFunctionError } from '../errors';
import type { LambdaInvocation } from '../observability/lambda-handler';
import type { SecretDescription } from '../secrets/describe';

/** `arn:<partition>:lambda:<region>:<account>:function:<name>`, then an optional `:<alias|version>`. */
const FUNCTION_ARN = /^(arn:[^:]+:lambda:[^:]+:\d{12}:function:[^:]+)(?::[^:]+)?$/;

/**
 * A function ARN without its alias or version: Secrets Manager may be wired to `fn:live` while the
 * invocation runs as `fn:7`, and both are the same function. Undefined for anything else.
 */
export function unqualifiedFunctionArn(arn: string): string | undefined {
  return FUNCTION_ARN.exec(arn)?.[1];
}

/**
 * Act only on a secret whose rotation is wired to this very function (DescribeSecret's
 * RotationLambdaARN against the invocation's invokedFunctionArn, both without qualifier). IAM keys
 * the function's grant on the same attribute; this keeps the rule when a grant is broader than it
 * should be, and says so by name instead of an AccessDenied halfway through a step.
 *
 * Without a Lambda context (the core run in process by a test or a local script) there is no own
 * ARN to compare: the check is skipped, and the caller's own credentials are what limit it.
 */
export function refuseUnlessWiredToThisFunction(
  description: SecretDescription,
  lambda: LambdaInvocation | undefined,
  doing: string,
): void {
  if (!lambda) return;
  const own = unqualifiedFunctionArn(lambda.invokedFunctionArn) ?? lambda.invokedFunctionArn;
  const wired = description.rotationLambdaArn;
  if (wired !== undefined && (unqualifiedFunctionArn(wired) ?? wired) === own) return;
  throw new WrongRotationFunctionError(
    wired === undefined
      ? `secret ${description.name} has no rotation function; ${own} refuses to ${doing} it`
      : `secret ${description.name} is wired to rotation function ${wired}, not to ${own}; refused to ${doing} it`,
    {
      action:
        'Invoke the function the secret is wired to (DescribeSecret: RotationLambdaARN), or wire the secret to this function with RotateSecret (npm run wire).',
    },
  );
}
