import {
  type Filter,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  type SecretListEntry,
} from '@aws-sdk/client-secrets-manager';
import { type Deadline, noDeadline } from '../../shared/net/deadline';
import { SuiteTag } from '../../shared/fleet/tags';
import { secretsManager, within } from '../../shared/secrets/client';
import { Stage } from '../../shared/secrets/stages';
import type { SecretFacts } from './assess';

const INTERVAL_TAG = SuiteTag.Interval;

export interface InventoryOptions {
  tagKey: string;
  tagValue?: string;
}

/**
 * What decides whether a pending version is worth dating: the threshold it would have to pass to
 * count as stuck, and the time it is judged at.
 */
export interface PendingScreen {
  now: Date;
  stuckAfterMs: number;
}

/**
 * Slack for the clock of whoever judges (an operator's laptop for `npm run status`) against the
 * service's dates: a pending version this close to the threshold is dated, not guessed.
 */
const CLOCK_SLACK_MS = 60_000;

/**
 * The suite's secrets, found by tag, with what the assessment needs: the ListSecrets pages (100
 * secrets each), plus one ListSecretVersionIds only for a secret whose pending version may be
 * stuck (see `mayBeStuck`). A fleet of 1,000 healthy secrets costs 10 calls.
 */
export async function listSuiteSecrets(
  options: InventoryOptions,
  deadline: Deadline,
  screen?: PendingScreen,
): Promise<SecretFacts[]> {
  const filters: Filter[] = [{ Key: 'tag-key', Values: [options.tagKey] }];
  if (options.tagValue) filters.push({ Key: 'tag-value', Values: [options.tagValue] });

  const entries: SecretListEntry[] = [];
  let nextToken: string | undefined;
  do {
    const page = await secretsManager().send(
      new ListSecretsCommand({
        Filters: filters,
        MaxResults: 100,
        NextToken: nextToken,
        // A secret scheduled for deletion rotates no more: not the monitor's to judge.
        IncludePlannedDeletion: false,
      }),
      within(deadline, 'ListSecrets'),
    );
    entries.push(...(page.SecretList ?? []));
    nextToken = page.NextToken;
  } while (nextToken);

  // Tag filters match key and value independently; keep only secrets where this key has this value.
  const matching = entries.filter(
    (entry) =>
      !options.tagValue ||
      entry.Tags?.some((tag) => tag.Key === options.tagKey && tag.Value === options.tagValue),
  );
  return Promise.all(matching.map((entry) => toFacts(entry, deadline, screen)));
}

/**
 * Whether a pending version may already be older than the stuck threshold, from the listing alone.
 * A pending version is never older than the secret, nor than its last rotation: Secrets Manager
 * keeps AWSPENDING on one version, RotateSecret refuses while another holds it, and a completed
 * rotation takes it off. So when even the later of those two dates is younger than the threshold,
 * the rotation is under way, not stuck, and dating its version would change nothing. Without a
 * screen (or without either date) it may be stuck: date it.
 */
export function mayBeStuck(entry: SecretListEntry, screen: PendingScreen | undefined): boolean {
  if (!screen) return true;
  const since = Math.max(entry.LastRotatedDate?.getTime() ?? 0, entry.CreatedDate?.getTime() ?? 0);
  if (since === 0) return true;
  return screen.now.getTime() - since > screen.stuckAfterMs - CLOCK_SLACK_MS;
}

/**
 * What the assessment needs about one listed secret. Only a secret whose pending version may be
 * stuck costs a call (ListSecretVersionIds, to learn how old it is); a younger one is dated by the
 * listing's lower bound, which is all `assess` needs to call it rotating. Also used by
 * `npm run status`.
 */
export async function toFacts(
  entry: SecretListEntry,
  deadline: Deadline = noDeadline(),
  screen?: PendingScreen,
): Promise<SecretFacts> {
  const arn = entry.ARN ?? entry.Name ?? '';
  const stages = entry.SecretVersionsToStages ?? {};
  const pendingVersionIds = Object.entries(stages)
    .filter(([, labels]) => labels.includes(Stage.Pending) && !labels.includes(Stage.Current))
    .map(([versionId]) => versionId);
  const hasStrayPending = pendingVersionIds.length > 0;
  return {
    name: entry.Name ?? arn,
    arn,
    rotationEnabled: entry.RotationEnabled === true,
    createdDate: entry.CreatedDate,
    lastRotatedDate: entry.LastRotatedDate,
    intervalTag: entry.Tags?.find((tag) => tag.Key === INTERVAL_TAG)?.Value,
    automaticallyAfterDays: entry.RotationRules?.AutomaticallyAfterDays,
    scheduleExpression: entry.RotationRules?.ScheduleExpression,
    pendingSince: !hasStrayPending
      ? []
      : mayBeStuck(entry, screen)
        ? await pendingVersionDates(arn, deadline)
        : pendingVersionIds.map(() => listedLowerBound(entry)),
    pendingVersionIds,
  };
}

/** The earliest a pending version can have been created, from the listing (see `mayBeStuck`). */
function listedLowerBound(entry: SecretListEntry): Date {
  return new Date(Math.max(entry.LastRotatedDate?.getTime() ?? 0, entry.CreatedDate?.getTime() ?? 0));
}

async function pendingVersionDates(arn: string, deadline: Deadline): Promise<Date[]> {
  const out = await secretsManager().send(
    new ListSecretVersionIdsCommand({ SecretId: arn, MaxResults: 100 }),
    within(deadline, `ListSecretVersionIds (${arn})`),
  );
  return (out.Versions ?? [])
    .filter((v) => v.VersionStages?.includes(Stage.Pending) && !v.VersionStages.includes(Stage.Current))
    .map((v) => v.CreatedDate ?? new Date(0));
}
