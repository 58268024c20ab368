import { ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { secretsManager } from '../../shared/secrets/client';
import { functionNameOfArn, kindOfRotationArn, type Stack } from '../suite';
import { type FleetFilter, FilterError, matchesFilter, namePrefix, serverFilters } from './filters';

/** A secret the fleet emergency will rotate: wired to one of the stack's rotation functions. */
export interface FleetSecret {
  name: string;
  arn: string;
  kind: string;
}

/** A secret that matched the filter but is not the stack's to rotate, and why. */
export interface SkippedSecret {
  name: string;
  reason: string;
}

export interface FleetSelection {
  selected: FleetSecret[];
  skipped: SkippedSecret[];
  /** ListSecrets pages read, and the secrets they held before the client-side match. */
  pages: number;
  listed: number;
}

/**
 * Every secret matching the filter, in name order, split into those wired to one of the stack's
 * rotation functions (by RotationLambdaARN, the same wiring the functions themselves check) and the
 * rest, each with the reason it is skipped. ListSecrets pages of 100, narrowed on the server where
 * its filters can, matched exactly here.
 */
export async function selectFleet(stack: Stack, filter: FleetFilter): Promise<FleetSelection> {
  if (filter.match.length === 0 && filter.tags.length === 0)
    throw new FilterError('a fleet emergency needs at least one --match or --tag');
  if (namePrefix(filter.match) === undefined)
    throw new FilterError(`the --match patterns ${filter.match.join(', ')} cannot all match one name`);
  const selection: FleetSelection = { selected: [], skipped: [], pages: 0, listed: 0 };
  const filters = serverFilters(filter);
  let nextToken: string | undefined;
  do {
    const page = await secretsManager().send(
      new ListSecretsCommand({
        MaxResults: 100,
        NextToken: nextToken,
        IncludePlannedDeletion: false,
        ...(filters.length > 0 ? { Filters: filters } : {}),
      }),
    );
    selection.pages++;
    for (const entry of page.SecretList ?? []) {
      selection.listed++;
      if (!matchesFilter(entry, filter)) continue;
      const name = entry.Name ?? entry.ARN ?? '';
      const kind = kindOfRotationArn(stack, entry.RotationLambdaARN);
      if (kind && entry.ARN) selection.selected.push({ name, arn: entry.ARN, kind });
      else selection.skipped.push({ name, reason: whyNotWired(stack, entry.RotationLambdaARN) });
    }
    nextToken = page.NextToken;
  } while (nextToken);
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
  selection.selected.sort(byName);
  selection.skipped.sort(byName);
  return selection;
}

function whyNotWired(stack: Stack, rotationLambdaArn: string | undefined): string {
  const stackName = `${stack.org}-${stack.env}`;
  if (!rotationLambdaArn) return 'no rotation function is configured';
  const other = functionNameOfArn(rotationLambdaArn) ?? rotationLambdaArn;
  const env = new RegExp(`^${stack.org}-([^-]+)-.+-rotation$`).exec(other)?.[1];
  return (
    `rotated by ${other}, not by a rotation function of ${stackName}` +
    (env && env !== stack.env ? ` (that is ${stack.org}-${env}'s: use --env ${env})` : '')
  );
}
