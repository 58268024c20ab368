import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  FilterError,
  globToRegExp,
  matchesFilter,
  namePrefix,
  parseTag,
  serverFilters,
} from '../../../ops/emergency/filters';
import {
  type EmergencyRequest,
  type FleetResult,
  FunctionError,
  rotateFleet,
} from '../../../ops/emergency/fleet';
import { forEachBounded } from '../../../ops/emergency/pool';
import { selectFleet } from '../../../ops/emergency/selection';
import { fleetNotice, renderResults } from '../../../ops/emergency/summary';

/**
 * The fleet emergency's parts without AWS: how --match and --tag select (server-side narrowing,
 * client-side decision), the bounded pool, and what the summary says (and never says).
 */
const sm = mockClient(SecretsManagerClient);
const stack = { org: 'sergas', env: 'prod' };
const fn = (name: string) => `arn:aws:lambda:eu-west-1:123456789012:function:${name}`;
const arn = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}-AbCdEf`;

describe('--match globs', () => {
  it('match within a segment with *, across segments with **, one character with ?', () => {
    expect(globToRegExp('sergas/*/prod/*').test('sergas/zoho/prod/refresh_token')).toBe(true);
    expect(globToRegExp('sergas/*/prod/*').test('sergas/zoho/extra/prod/refresh_token')).toBe(false);
    expect(globToRegExp('sergas/*/prod/*').test('sergas/zoho/production/x')).toBe(false);
    expect(globToRegExp('sergas/**').test('sergas/zoho/prod/refresh_token')).toBe(true);
    expect(globToRegExp('sergas/db?/prod/x').test('sergas/db1/prod/x')).toBe(true);
    // Everything else is literal, regular-expression characters included.
    expect(globToRegExp('sergas/a.b/prod/x+y').test('sergas/aXb/prod/xxy')).toBe(false);
    expect(globToRegExp('sergas/a.b/prod/x+y').test('sergas/a.b/prod/x+y')).toBe(true);
  });

  it('narrow the listing by their common literal prefix, and refuse prefixes that contradict', () => {
    expect(namePrefix(['sergas/*/prod/*'])).toBe('sergas/');
    expect(namePrefix(['sergas/*', 'sergas/zoho/*'])).toBe('sergas/zoho/');
    expect(namePrefix(['sergas/zoho/*', 'other/*'])).toBeUndefined();
    expect(namePrefix(['*/prod/*'])).toBe('');
  });
});

describe('server-side filters', () => {
  it('send the name prefix and the first tag as prefix filters ListSecrets accepts', () => {
    expect(serverFilters({ match: ['sergas/*/prod/*'], tags: [parseTag('component=zoho')] })).toEqual([
      { Key: 'name', Values: ['sergas/'] },
      { Key: 'tag-key', Values: ['component'] },
      { Key: 'tag-value', Values: ['zoho'] },
    ]);
    // Characters outside ListSecrets' filter alphabet end the prefix; a leading ! would negate.
    expect(serverFilters({ match: ['sergas/zo#ho/*'], tags: [parseTag('!team')] })).toEqual([
      { Key: 'name', Values: ['sergas/zo'] },
    ]);
    expect(serverFilters({ match: ['*'], tags: [] })).toEqual([]);
  });

  it('leave the decision to the exact match: tag key and value must be on the same tag', () => {
    const entry = {
      Name: 'sergas/zoho/prod/refresh_token',
      Tags: [
        { Key: 'component', Value: 'crm' },
        { Key: 'team', Value: 'zoho' },
      ],
    };
    expect(matchesFilter(entry, { match: [], tags: [parseTag('component=zoho')] })).toBe(false);
    expect(matchesFilter(entry, { match: [], tags: [parseTag('component=crm')] })).toBe(true);
    expect(matchesFilter(entry, { match: [], tags: [parseTag('component')] })).toBe(true);
    expect(matchesFilter(entry, { match: ['sergas/*/prod/*'], tags: [parseTag('team=zoho')] })).toBe(true);
    expect(matchesFilter(entry, { match: ['sergas/*/dev/*'], tags: [parseTag('team=zoho')] })).toBe(false);
    // Prefix matching on the server: component=cr would list it; the exact check does not keep it.
    expect(matchesFilter(entry, { match: [], tags: [parseTag('component=cr')] })).toBe(false);
  });

  it('refuses a tag without a key', () => {
    expect(() => parseTag('=zoho')).toThrow(FilterError);
    expect(parseTag('a=b=c')).toEqual({ key: 'a', value: 'b=c' });
  });
});

describe('selectFleet', () => {
  beforeEach(() => sm.reset());

  it('pages through NextToken and keeps only secrets wired to the stack, saying why it skips the rest', async () => {
    sm.on(ListSecretsCommand, { NextToken: undefined }).resolves({
      SecretList: [
        {
          Name: 'sergas/db/prod/postgres_password',
          ARN: arn('a'),
          RotationLambdaARN: fn('sergas-prod-postgres-rotation'),
        },
        { Name: 'sergas/db/prod/manual', ARN: arn('b') },
        {
          Name: 'sergas/db/staging/x',
          ARN: arn('c'),
          RotationLambdaARN: fn('sergas-staging-postgres-rotation'),
        },
      ],
      NextToken: 'two',
    });
    sm.on(ListSecretsCommand, { NextToken: 'two' }).resolves({
      SecretList: [
        {
          Name: 'sergas/crm/prod/refresh_token',
          ARN: arn('d'),
          RotationLambdaARN: fn('sergas-prod-zoho-oauth-rotation'),
        },
        { Name: 'sergas/crm/prod/theirs', ARN: arn('e'), RotationLambdaARN: fn('someone-elses-rotation') },
      ],
    });
    const selection = await selectFleet(stack, { match: ['sergas/**'], tags: [] });
    expect(selection.selected).toEqual([
      { name: 'sergas/crm/prod/refresh_token', arn: arn('d'), kind: 'zoho-oauth' },
      { name: 'sergas/db/prod/postgres_password', arn: arn('a'), kind: 'postgres' },
    ]);
    expect(selection.skipped).toEqual([
      {
        name: 'sergas/crm/prod/theirs',
        reason: 'rotated by someone-elses-rotation, not by a rotation function of sergas-prod',
      },
      { name: 'sergas/db/prod/manual', reason: 'no rotation function is configured' },
      {
        name: 'sergas/db/staging/x',
        reason:
          "rotated by sergas-staging-postgres-rotation, not by a rotation function of sergas-prod (that is sergas-staging's: use --env staging)",
      },
    ]);
    expect(selection).toMatchObject({ pages: 2, listed: 5 });
    for (const call of sm.commandCalls(ListSecretsCommand)) {
      expect(call.args[0].input).toMatchObject({
        MaxResults: 100,
        IncludePlannedDeletion: false,
        Filters: [{ Key: 'name', Values: ['sergas/'] }],
      });
    }
  });

  it('refuses an empty filter and contradicting patterns before listing anything', async () => {
    await expect(selectFleet(stack, { match: [], tags: [] })).rejects.toThrow(FilterError);
    await expect(selectFleet(stack, { match: ['a/*', 'b/*'], tags: [] })).rejects.toThrow(
      'cannot all match one name',
    );
    expect(sm.commandCalls(ListSecretsCommand)).toHaveLength(0);
  });
});

describe('rotateFleet', () => {
  const secrets = Array.from({ length: 9 }, (_, i) => ({
    name: `sergas/c${i}/prod/t`,
    arn: arn(`c${i}`),
    kind: 'mcp-token',
  }));

  it('never runs more than --concurrency at once, gives each worker its own slot, and keeps going after a failure', async () => {
    let inFlight = 0;
    let peak = 0;
    const slots = new Set<number>();
    const requests: EmergencyRequest[] = [];
    const results = await rotateFleet(secrets, {
      reason: 'drill',
      revokePrevious: true,
      concurrency: 3,
      invoke: async (request, worker) => {
        requests.push(request);
        slots.add(worker);
        peak = Math.max(peak, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight--;
        if (request.secretId === arn('c4'))
          throw new FunctionError('RotationTimeoutError', 'did not complete within 8 s', 'Read the logs.');
        return { outcome: 'succeeded', version: 'v2', revokedPrevious: true };
      },
    });
    expect(peak).toBe(3);
    expect([...slots].sort()).toEqual([0, 1, 2]);
    expect(requests).toHaveLength(9);
    expect(requests[0]).toEqual({
      secretId: arn('c0'),
      reason: 'drill',
      revokePrevious: true,
      announce: false,
    });
    expect(results.map((r) => r.outcome)).toEqual([
      ...Array(4).fill('rotated, revoked'),
      'failed',
      ...Array(4).fill('rotated, revoked'),
    ]);
    expect(results[4]).toMatchObject({ errorName: 'RotationTimeoutError', action: 'Read the logs.' });
  });

  it('counts an answer that is not a succeeded report as a failure', async () => {
    const [result] = await rotateFleet(secrets.slice(0, 1), {
      reason: 'drill',
      revokePrevious: false,
      concurrency: 4,
      invoke: async () => ({}),
    });
    expect(result).toMatchObject({ outcome: 'failed', errorName: 'UnexpectedReport' });
  });

  it('forEachBounded starts no more workers than items', async () => {
    const workers = new Set<number>();
    await forEachBounded([1, 2], 8, async (_, worker) => void workers.add(worker));
    expect([...workers]).toEqual([0, 1]);
  });
});

describe('the summary', () => {
  const failedOne: FleetResult = {
    secret: 'sergas/b/prod/t',
    kind: 'webhook-bearer',
    outcome: 'failed',
    durationMs: 8000,
    errorName: 'RotationTimeoutError',
    message: 'did not complete within 8 s',
  };
  const results: FleetResult[] = [
    { secret: 'sergas/a/prod/t', kind: 'postgres', outcome: 'rotated, revoked', durationMs: 4200 },
    failedOne,
  ];
  const skipped = [{ name: 'sergas/c/prod/t', reason: 'no rotation function is configured' }];

  it('renders one row per secret with kind, outcome, duration and error name, then the counts', () => {
    const text = renderResults(results, skipped);
    expect(text).toContain('sergas/a/prod/t  postgres        rotated, revoked  4.2 s     -');
    expect(text).toContain(
      'sergas/b/prod/t  webhook-bearer  failed            8.0 s     RotationTimeoutError',
    );
    expect(text).toContain('skipped sergas/c/prod/t: no rotation function is configured');
    expect(text.split('\n').at(-1)).toBe('2 secrets: 1 rotated (1 revoked), 1 failed; 1 skipped');
  });

  it('names counts and failed secrets in an SNS-sized subject, and no value in the body', () => {
    const notice = fleetNotice({
      stack,
      reason: 'leaked .env',
      filter: { match: ['sergas/*/prod/*'], tags: [] },
      results,
      skipped,
      startedAt: new Date('2026-12-07T12:00:00Z'),
    });
    expect(notice.subject).toBe('Emergency rotation of sergas-prod: 1 of 2 failed: sergas/b/prod/t');
    expect(JSON.parse(notice.message)).toMatchObject({
      type: 'emergency-fleet-rotation',
      filter: "--match 'sergas/*/prod/*'",
      counts: { selected: 2, rotated: 1, revoked: 1, failed: 1, skipped: 1 },
      failed: [{ secretName: 'sergas/b/prod/t', kind: 'webhook-bearer', errorName: 'RotationTimeoutError' }],
    });
    const many = Array.from({ length: 20 }, (_, i) => ({
      ...failedOne,
      secret: `sergas/long-name-${i}/prod/t`,
    }));
    const long = fleetNotice({
      stack,
      reason: 'x',
      filter: { match: ['*'], tags: [] },
      results: many,
      skipped: [],
      startedAt: new Date(),
    });
    expect(long.subject.length).toBeLessThanOrEqual(100);
  });
});
