import {
  CancelRotateSecretCommand,
  SecretsManagerClient,
  UntagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { SuiteTag } from '../../shared/fleet/tags';
import { type Action, runActions } from './actions';
import { KINDS, ZOHO_REFRESH_OUTPUTS } from './kinds';
import { deleteRefreshSchedule, refreshScheduleExists, refreshScheduleName } from './refresh-schedule';
import { describe } from './secret';
import { stackFor } from './wire';

export interface UnwireOptions {
  secretId: string;
  dryRun?: boolean;
  stack?: string;
  say?: (line: string) => void;
}

export interface UnwireResult {
  secretName: string;
  actions: string[];
  notes: string[];
}

const SUITE_TAGS = [SuiteTag.Suite, SuiteTag.Kind, SuiteTag.Interval];

/**
 * `npm run unwire`: the reverse of wire. The Zoho refresh schedule goes first (it would otherwise
 * keep calling RotateSecret), then CancelRotateSecret turns automatic rotation off, then the
 * monitor's tags go, so the monitor stops expecting rotations. The secret and its value stay.
 */
export async function unwire(
  options: UnwireOptions,
  sm = new SecretsManagerClient({}),
): Promise<UnwireResult> {
  const say = options.say ?? (() => undefined);
  const secret = await describe(sm, options.secretId);
  const actions: Action[] = [];
  const notes: string[] = [];

  const kind = secret.tags[SuiteTag.Kind];
  const wiredToZoho = secret.rotationLambdaArn?.endsWith('-zoho-oauth-rotation') === true;
  if (kind === 'zoho-oauth' || wiredToZoho) {
    const stack = await stackFor(secret, options.stack);
    const group = stack.outputs[ZOHO_REFRESH_OUTPUTS.group];
    const name = refreshScheduleName(secret.name);
    if (group && (await refreshScheduleExists(name, group)))
      actions.push({
        describe: `delete EventBridge Scheduler ${group}/${name} (the 45-minute refresh)`,
        run: async () => {
          await deleteRefreshSchedule(name, group);
        },
      });
  }
  // The secret keeps its RotationLambdaARN after CancelRotateSecret (AWS's choice): enabled is what counts.
  if (secret.rotationEnabled)
    actions.push({
      describe: `CancelRotateSecret ${secret.name} (automatic rotation off${secret.rotationLambdaArn ? `, was ${secret.rotationLambdaArn}` : ''})`,
      run: async () => {
        await sm.send(new CancelRotateSecretCommand({ SecretId: secret.arn }));
      },
    });
  const present = SUITE_TAGS.filter((key) => key in secret.tags);
  if (present.length > 0)
    actions.push({
      describe: `untag ${secret.name} ${present.join(' ')}`,
      run: async () => {
        await sm.send(new UntagResourceCommand({ SecretId: secret.arn, TagKeys: present }));
      },
    });

  const pending = Object.entries(secret.versions).find(
    ([, stages]) => stages.includes('AWSPENDING') && !stages.includes('AWSCURRENT'),
  );
  if (pending)
    notes.push(
      `version ${pending[0]} is still AWSPENDING (a rotation was under way): remove the label with aws secretsmanager update-secret-version-stage --secret-id ${secret.name} --version-stage AWSPENDING --remove-from-version-id ${pending[0]}`,
    );
  if ((KINDS[kind ?? '']?.references.length ?? 0) > 0)
    notes.push(
      `a master, admin or client secret it names keeps its ${SuiteTag.Role} tag: other secrets may share it`,
    );

  if (actions.length === 0) {
    say(`${secret.name} is not wired: nothing to do`);
    return { secretName: secret.name, actions: [], notes };
  }
  say(`${options.dryRun ? 'dry run: would unwire' : 'unwiring'} ${secret.name}`);
  await runActions(actions, { dryRun: options.dryRun === true, say });
  for (const note of notes) say(`  note: ${note}`);
  say(options.dryRun ? 'dry run: nothing was changed' : `unwired ${secret.name}`);
  return { secretName: secret.name, actions: actions.map((a) => a.describe), notes };
}
