import {
  type Filter,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  type SecretListEntry,
} from '@aws-sdk/client-secrets-manager';
import { type Deadline, noDeadline } from '../../shared/net/deadline';
import { secretsManager, within } from '../../shared/secrets/client';
import { Stage } from '../../shared/secrets/stages';
import type { SecretFacts } from './assess';

const INTERVAL_TAG = 'rotation-interval';

export interface InventoryOptions {
  tagKey: string;
  tagValue?: string;
}

/** The suite's secrets, found by tag, with what the assessment needs. */
export async function listSuiteSecrets(
  options: InventoryOptions,
  deadline: Deadline,
): Promise<SecretFacts[]> {
  const filters: Filter[] = [{ Key: 'tag-key', Values: [options.tagKey] }];
  if (options.tagValue) filters.push({ Key: 'tag-value', Values: [options.tagValue] });

  const entries: SecretListEntry[] = [];
  let nextToken: string | undefined;
  do {
    const page = await secretsManager().send(
      new ListSecretsCommand({ Filters: filters, MaxResults: 100, NextToken: nextToken }),
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
  return Promise.all(matching.map((entry) => toFacts(entry, deadline)));
}

/**
 * What the assessment needs about one listed secret. Only a secret with a pending version costs a
 * call (ListSecretVersionIds, to learn how old it is). Also used by `npm run status`.
 */
export async function toFacts(
  entry: SecretListEntry,
  deadline: Deadline = noDeadline(),
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
    pendingSince: hasStrayPending ? await pendingVersionDates(arn, deadline) : [],
    pendingVersionIds,
  };
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
