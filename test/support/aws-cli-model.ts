import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/**
 * What the AWS CLI checks a command against, without calling AWS: botocore's service models (the
 * CLI is built on them; moto brings botocore along). `aws secretsmanager rotate-secret --secret-id
 * ...` is operation RotateSecret, and each `--flag` a member of its input, in the CLI's spelling.
 */
let dataDir: string | undefined;

function botocoreData(): string {
  dataDir ??= join(
    execFileSync('python3', ['-c', 'import botocore, os; print(os.path.dirname(botocore.__file__))'], {
      encoding: 'utf8',
    }).trim(),
    'data',
  );
  return dataDir;
}

/** botocore's xform_name: `RotationLambdaARN` -> `rotation-lambda-arn`, as CLI commands and flags spell it. */
export function cliName(name: string): string {
  return name
    .replace(/(.)([A-Z][a-z]+)/g, '$1-$2')
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase();
}

interface Shape {
  type: string;
  members?: Record<string, { shape: string }>;
}
interface ServiceModel {
  operations: Record<string, { input?: { shape: string } }>;
  shapes: Record<string, Shape>;
}

const models = new Map<string, ServiceModel | undefined>();

function serviceModel(service: string): ServiceModel | undefined {
  if (!models.has(service)) {
    const dir = join(botocoreData(), service);
    const version = existsSync(dir) ? readdirSync(dir).sort().at(-1) : undefined;
    const file = version ? join(dir, version, 'service-2.json') : '';
    const text = existsSync(`${file}.gz`)
      ? gunzipSync(readFileSync(`${file}.gz`)).toString('utf8')
      : existsSync(file)
        ? readFileSync(file, 'utf8')
        : undefined;
    models.set(service, text ? (JSON.parse(text) as ServiceModel) : undefined);
  }
  return models.get(service);
}

export interface CliOperation {
  /** `--flag` names the operation's input takes, without the dashes. */
  flags: Set<string>;
  /** Of those, the booleans (which also take `--no-<flag>` and no value). */
  booleans: Set<string>;
}

/** The operation behind `aws <service> <command>`, or undefined when the CLI has no such command. */
export function cliOperation(service: string, command: string): CliOperation | undefined {
  const model = serviceModel(service);
  const [, operation] =
    Object.entries(model?.operations ?? {}).find(([name]) => cliName(name) === command) ?? [];
  if (!model || !operation) return undefined;
  const members = model.shapes[operation.input?.shape ?? '']?.members ?? {};
  const flags = new Set<string>();
  const booleans = new Set<string>();
  for (const [member, { shape }] of Object.entries(members)) {
    flags.add(cliName(member));
    if (model.shapes[shape]?.type === 'boolean') booleans.add(cliName(member));
  }
  return { flags, booleans };
}

/** Options every CLI command takes (v2's included: the docs are written for v2). */
export const GLOBAL_FLAGS = new Set([
  'debug',
  'endpoint-url',
  'no-verify-ssl',
  'no-paginate',
  'output',
  'query',
  'profile',
  'region',
  'color',
  'no-sign-request',
  'ca-bundle',
  'cli-read-timeout',
  'cli-connect-timeout',
  'cli-binary-format',
  'no-cli-pager',
  'cli-auto-prompt',
  'no-cli-auto-prompt',
  'cli-input-json',
  'cli-input-yaml',
  'generate-cli-skeleton',
  'max-items',
  'starting-token',
  'page-size',
]);
export const GLOBAL_SWITCHES = new Set([
  'debug',
  'no-verify-ssl',
  'no-paginate',
  'no-sign-request',
  'no-cli-pager',
]);

/** Flags the CLI adds to some operations (customizations), by `service command`. */
export const CUSTOM_FLAGS: Record<string, string[]> = {
  'lambda create-function': ['zip-file'],
  'lambda update-function-code': ['zip-file'],
};
