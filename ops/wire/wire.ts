import {
  RotateSecretCommand,
  SecretsManagerClient,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { SecretFormatError } from '../../shared/errors';
import { SuiteTag, suiteTagValue } from '../../shared/fleet/tags';
import { functionNameOfArn } from '../suite';
import { KINDS, type KindSpec, ZOHO_REFRESH_OUTPUTS } from './kinds';
import { type Action, runActions } from './actions';
import { SecretFormatRefusedError, WireError } from './errors';
import { putRefreshSchedule, refreshScheduleName } from './refresh-schedule';
import { describeSchedule, parseSchedule, type Schedule } from './schedule';
import { currentJson, describe, type DescribedSecret, stackOfName } from './secret';
import { defaultStackName, outputOf, readSuiteStack, type SuiteStack } from './stack';

export interface WireOptions {
  secretId: string;
  kind: string;
  schedule?: string;
  window?: string;
  rotateNow?: boolean;
  dryRun?: boolean;
  /** The stack to wire to; by default `{org}-{env}-rotation-suite` of the secret's name. */
  stack?: string;
  /** Progress lines (what is being done, or with dryRun what would be). */
  say?: (line: string) => void;
}

export interface WireResult {
  secretArn: string;
  secretName: string;
  functionArn: string;
  schedule: Schedule;
  /** What was done, or with dryRun what would be, one line each. */
  actions: string[];
  /** What the operator should know: the things wire cannot check or change. */
  notes: string[];
  /** RotateSecret's VersionId when a rotation was started (--rotate-now). */
  rotationToken?: string;
}

/**
 * `npm run wire`: attach an existing secret to the stack's rotation function of its kind. Every
 * check runs first (the secret's name within the stack's prefix, its AWSCURRENT value against the
 * kind's schema, the secrets it names), then the changes, in an order that is safe to repeat:
 * role tags of the referenced secrets, the monitor's tags, RotateSecret, the Zoho refresh.
 */
export async function wire(options: WireOptions, sm = new SecretsManagerClient({})): Promise<WireResult> {
  const say = options.say ?? (() => undefined);
  const spec = KINDS[options.kind];
  if (!spec) throw new WireError(`--kind ${options.kind}: must be one of ${Object.keys(KINDS).join(', ')}`);
  const schedule = parseSchedule(options.schedule ?? spec.schedule, options.window ?? spec.window);

  const secret = await describe(sm, options.secretId);
  const stack = await stackFor(secret, options.stack);
  const functionArn = outputOf(stack, spec.functionOutput);
  if (secret.rotationLambdaArn && secret.rotationLambdaArn !== functionArn)
    throw new WireError(
      `${secret.name} is already wired to ${secret.rotationLambdaArn}; run npm run unwire -- --secret-id ${secret.name} first if it should move to ${functionArn}`,
    );

  const value = await checkedValue(sm, secret, spec);
  const actions: Action[] = [];
  const { problems, notes } = spec.needs?.(value, stack) ?? { problems: [], notes: [] };
  if (problems.length > 0)
    throw new WireError(`refusing to wire ${secret.name}: ${problems.join('; ')}; nothing was changed`);
  actions.push(...(await referenceTagging(sm, secret, spec, value, stack)));
  actions.push(...monitorTagging(sm, secret, spec, schedule, stack));

  let rotationToken: string | undefined;
  const rotateNow = options.rotateNow === true;
  const rules = secret.description.RotationRules;
  // Already so: RotateSecret again would only fail while a rotation is under way.
  const configured =
    secret.rotationEnabled &&
    secret.rotationLambdaArn === functionArn &&
    rules?.ScheduleExpression === schedule.expression &&
    rules.Duration === schedule.window;
  if (!configured || rotateNow)
    actions.push({
      describe: `RotateSecret ${secret.name} with ${functionNameOfArn(functionArn) ?? functionArn}: ${describeSchedule(schedule)}, ${rotateNow ? 'rotating now' : 'first rotation in the next window'}`,
      run: async () => {
        const out = await sm.send(
          new RotateSecretCommand({
            SecretId: secret.arn,
            RotationLambdaARN: functionArn,
            RotationRules: { ScheduleExpression: schedule.expression, Duration: schedule.window },
            RotateImmediately: rotateNow,
          }),
        );
        if (rotateNow) rotationToken = out.VersionId;
      },
    });
  else notes.push(`rotation is already ${describeSchedule(schedule)}: RotateSecret not repeated`);

  if (spec.refresh) {
    const refresh = {
      name: refreshScheduleName(secret.name),
      group: outputOf(stack, ZOHO_REFRESH_OUTPUTS.group),
      roleArn: outputOf(stack, ZOHO_REFRESH_OUTPUTS.role),
      secretArn: secret.arn,
      secretName: secret.name,
      expression: spec.refresh.expression,
    };
    actions.push({
      describe: `EventBridge Scheduler ${refresh.group}/${refresh.name}: RotateSecret ${refresh.expression} (the access token lives one hour)`,
      run: () => putRefreshSchedule(refresh),
    });
  }

  say(
    `${options.dryRun ? 'dry run: would wire' : 'wiring'} ${secret.name} (${spec.kind}) to ${functionNameOfArn(functionArn) ?? functionArn} of stack ${stack.name}`,
  );
  await runActions(actions, { dryRun: options.dryRun === true, say });
  for (const note of notes) say(`  note: ${note}`);
  say(options.dryRun ? 'dry run: nothing was changed' : `wired ${secret.name}`);
  return {
    secretArn: secret.arn,
    secretName: secret.name,
    functionArn,
    schedule,
    actions: actions.map((a) => a.describe),
    notes,
    ...(rotationToken ? { rotationToken } : {}),
  };
}

/** The stack whose functions may act on this secret: its name's org and environment must be the stack's. */
export async function stackFor(secret: DescribedSecret, stackName?: string): Promise<SuiteStack> {
  const named = stackOfName(secret.name);
  if (!named)
    throw new WireError(
      `${secret.name} does not follow {org}/{component}/{env}/{type}: the suite's functions may act only on secrets named so (their IAM is scoped to {org}/*/{env}/*)`,
    );
  const stack = await readSuiteStack(stackName ?? defaultStackName(named.org, named.env));
  if (stack.org !== named.org || stack.env !== named.env)
    throw new WireError(
      `${secret.name} is outside stack ${stack.name}'s secrets (${stack.org}/*/${stack.env}/*): its functions could not read it`,
    );
  return stack;
}

/** The AWSCURRENT value, parsed by the kind's own parser; refuses with every problem, by key. */
async function checkedValue(
  sm: SecretsManagerClient,
  secret: DescribedSecret,
  spec: KindSpec,
): Promise<Record<string, unknown>> {
  const read = await currentJson(sm, secret.arn);
  if ('problem' in read) throw new SecretFormatRefusedError(secret.name, [read.problem]);
  try {
    spec.parse(read.value);
  } catch (error) {
    if (error instanceof SecretFormatError)
      throw new SecretFormatRefusedError(
        secret.name,
        error.problems.length > 0 ? error.problems : [error.message],
      );
    throw error;
  }
  return read.value as Record<string, unknown>;
}

/**
 * A master, admin or client secret the value names: it must exist within the stack's prefix and
 * hold a credential of its format; then it gets the role tag the function's read grant keys on.
 */
async function referenceTagging(
  sm: SecretsManagerClient,
  secret: DescribedSecret,
  spec: KindSpec,
  value: Record<string, unknown>,
  stack: SuiteStack,
): Promise<Action[]> {
  const actions: Action[] = [];
  for (const reference of spec.references) {
    const id = value[reference.key];
    if (typeof id !== 'string') continue;
    const refuse = (problem: string) =>
      new SecretFormatRefusedError(secret.name, [`\`${reference.key}\` names ${id}: ${problem}`]);
    const referenced = await describe(sm, id).catch((error: unknown) => {
      throw error instanceof WireError ? refuse('no such secret') : error;
    });
    const named = stackOfName(referenced.name);
    if (named?.org !== stack.org || named.env !== stack.env)
      throw refuse(`it is outside ${stack.org}/*/${stack.env}/*, where the function's read grant ends`);
    const held = referenced.tags[SuiteTag.Role];
    if (held && held !== reference.role)
      throw refuse(`it is tagged ${SuiteTag.Role}=${held} already; a secret serves one role`);
    const read = await currentJson(sm, referenced.arn);
    if ('problem' in read) throw refuse(read.problem);
    try {
      reference.parse(read.value);
    } catch (error) {
      if (!(error instanceof SecretFormatError)) throw error;
      throw refuse(error.problems.join('; ') || error.message);
    }
    if (held === reference.role) continue;
    actions.push({
      describe: `tag ${referenced.name} ${SuiteTag.Role}=${reference.role} (the ${spec.kind} function reads it by this tag)`,
      run: () => tag(sm, referenced.arn, { [SuiteTag.Role]: reference.role }),
    });
  }
  return actions;
}

function monitorTagging(
  sm: SecretsManagerClient,
  secret: DescribedSecret,
  spec: KindSpec,
  schedule: Schedule,
  stack: SuiteStack,
): Action[] {
  const interval = spec.refresh?.intervalTag ?? schedule.intervalTag;
  const tags: Record<string, string> = {
    [SuiteTag.Suite]: suiteTagValue(stack),
    [SuiteTag.Kind]: spec.kind,
    ...(interval ? { [SuiteTag.Interval]: interval } : {}),
  };
  const actions: Action[] = [
    {
      describe: `tag ${secret.name} ${Object.entries(tags)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
      run: () => tag(sm, secret.arn, tags),
    },
  ];
  // A stale interval (from an earlier cron schedule) would outvote the new rules at the monitor.
  if (!interval && secret.tags[SuiteTag.Interval] !== undefined)
    actions.push({
      describe: `untag ${secret.name} ${SuiteTag.Interval} (the rotation rules say the interval now)`,
      run: async () => {
        await sm.send(new UntagResourceCommand({ SecretId: secret.arn, TagKeys: [SuiteTag.Interval] }));
      },
    });
  return actions;
}

async function tag(sm: SecretsManagerClient, secretId: string, tags: Record<string, string>): Promise<void> {
  await sm.send(
    new TagResourceCommand({
      SecretId: secretId,
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
}
