import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The suite's functions as template.yaml deploys them: `{org}-{env}-{folder}-rotation` for each
 * folder of functions/ that has a rotator, `{org}-{env}-{folder}` for the others (emergency-rotate,
 * rotation-monitor), each logging to `/aws/lambda/<name>`.
 */
const functionsDir = fileURLToPath(new URL('../functions', import.meta.url));

export interface Stack {
  org: string;
  env: string;
}

let kinds: string[] | undefined;

/** The folders of functions/ that rotate a kind of secret (they have a rotator.ts); read once. */
export function rotationKinds(): string[] {
  kinds ??= readdirSync(functionsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(functionsDir, entry.name, 'rotator.ts')))
    .map((entry) => entry.name)
    .sort();
  return kinds;
}

export function rotationFunctionName(stack: Stack, kind: string): string {
  return `${stack.org}-${stack.env}-${kind}-rotation`;
}

export function emergencyFunctionName(stack: Stack): string {
  return `${stack.org}-${stack.env}-emergency-rotate`;
}

export const logGroupOf = (functionName: string) => `/aws/lambda/${functionName}`;

/** `arn:aws:lambda:region:account:function:name[:qualifier]` -> name. */
export function functionNameOfArn(arn: string): string | undefined {
  return /^arn:[^:]+:lambda:[^:]*:\d*:function:([^:]+)/.exec(arn)?.[1];
}

/** Which kind's rotation function of this stack a RotationLambdaARN names, if any. */
export function kindOfRotationArn(stack: Stack, arn: string | undefined): string | undefined {
  const name = arn ? functionNameOfArn(arn) : undefined;
  return rotationKinds().find((kind) => rotationFunctionName(stack, kind) === name);
}
