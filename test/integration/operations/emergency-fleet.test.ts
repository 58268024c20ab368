import { TagResourceCommand } from '@aws-sdk/client-secrets-manager';
import { randomUUID } from 'node:crypto';
import { LocalLambda } from '../../../dev/aws/local-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RotationDriver } from '../../../dev/aws/rotation-driver';
import {
  credentialsIn,
  deployedName,
  type RotationFunctions,
  startRotationFunctions,
} from '../../../dev/aws/rotation-functions';
import { type RotationServiceHandle, startRotationService } from '../../../dev/aws/rotation-service';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import { startSnsListener } from '../../../dev/aws/sns-listener';
import { runNpmScript, runScript } from '../../../dev/lib/run-script';
import { type PostgresCluster, startPostgres } from '../../../dev/targets/postgres/cluster';
import { type RotationTarget, startLocalTargets } from '../../../dev/targets';

/**
 * `npm run emergency -- --match/--tag` over a small fleet in moto, the whole way with --local: the
 * command lists and matches, runs the emergency-rotate bundle per secret at bounded concurrency,
 * the rotation service emulator runs each kind's bundle through the four steps against its real
 * target, revoke reaches the same bundle through the local Lambda Invoke API. Secrets of prod
 * (PostgreSQL, a webhook, an MCP token, a webhook secret whose JSON its rotator refuses, one wired
 * to nothing) and of dev (Redis, Zoho), all under a name segment of this file's own.
 */
type Value = Record<string, unknown>;

const admin = new SecretsAdmin();
const driver = new RotationDriver();
const RUN = `fleet${randomUUID().slice(0, 6)}`;
const name = (env: string, type: string) => `sergas/${RUN}/${env}/${type}`;
const REASON = 'drill: .env of prod leaked';

let cluster: PostgresCluster;
let functions: RotationFunctions;
let alerts: Awaited<ReturnType<typeof startSnsListener>>;
const targets: Record<string, RotationTarget> = {};
const services: RotationServiceHandle[] = [];
let broken: string;
let unwired: string;
const seen: Value[] = [];

async function tag(secretId: string, env: string, kind: string) {
  await admin.sm.send(
    new TagResourceCommand({
      SecretId: secretId,
      Tags: [
        { Key: 'rotation-suite', Value: `sergas-${env}` },
        { Key: 'rotation-suite:kind', Value: kind },
      ],
    }),
  );
}

beforeAll(async () => {
  cluster = await startPostgres();
  const started = await startLocalTargets(cluster, admin, {
    only: ['postgres-single-user', 'redis', 'zoho', 'webhook', 'mcp'],
    names: {
      'postgres-single-user': { secretName: name('prod', 'postgres_password') },
      webhook: { secretName: name('prod', 'webhook_token') },
      mcp: { secretName: name('prod', 'mcp_token') },
      redis: { secretName: name('dev', 'redis_password'), adminSecretName: name('dev', 'redis_admin') },
      zoho: { secretName: name('dev', 'refresh_token') },
    },
  });
  for (const target of started) targets[target.label] = target;
  const environmentOf = (target: RotationTarget) => (target.secretId.includes('/prod/') ? 'prod' : 'dev');
  functions = await startRotationFunctions(started, { environmentOf });
  alerts = await startSnsListener(`emergency-fleet-${Date.now()}`);

  // Wire each secret to its environment's function, with one completed rotation.
  for (const target of started) {
    const env = environmentOf(target);
    const deployed = functions.nameOf(target);
    await driver.rotate(target.secretId, functions.invoker(target), deployed);
    await tag(target.secretId, env, target.functionName);
    seen.push((await admin.valueAt(target.secretId, 'AWSCURRENT')) as Value);
    services.push(await startRotationService([target.secretId], functions.invoker(target), { pollMs: 50 }));
  }
  // Wired to prod's webhook function, but its JSON lacks verify_url: every createSecret fails.
  const webhook = targets['Webhook bearer token'] as RotationTarget;
  broken = await admin.create(name('prod', 'broken_token'), { token: 'broken-token-0123456789abcdef' });
  await driver.startRotation(broken, 30, deployedName('webhook-bearer', 'sergas', 'prod'));
  await driver.abandonPending(broken);
  await tag(broken, 'prod', 'webhook-bearer');
  services.push(await startRotationService([broken], functions.invoker(webhook), { pollMs: 50 }));
  unwired = await admin.create(name('prod', 'not_rotated'), { note: 'nobody wired me' });
}, 180_000);

afterAll(async () => {
  await Promise.all(services.map((service) => service.stop()));
  await functions?.stop();
  await alerts?.stop();
  await Promise.all(Object.values(targets).map((t) => t.stop()));
  await cluster?.stop();
});

/** Every secret's version labels: what must not change on a dry run. */
async function snapshot(): Promise<Record<string, Record<string, string[]>>> {
  const ids = [...Object.values(targets).map((t) => t.secretId), broken, unwired];
  return Object.fromEntries(await Promise.all(ids.map(async (id) => [id, await admin.stages(id)])));
}

const env = () => ({ AWS_ENDPOINT_URL_LAMBDA: functions.api.endpoint, EMERGENCY_POLL_MS: '50' });
const PROD = ['--match', `sergas/${RUN}/prod/*`, '--env', 'prod'];

describe('npm run emergency across the fleet', () => {
  it('--dry-run lists the wired prod secrets, says which it skips and why, and changes nothing', async () => {
    const before = await snapshot();
    const invocations = functions.api.invocations.length;
    const run = await runScript(
      'emergency.ts',
      ['--local', '--dry-run', ...PROD, '--reason', REASON, '--revoke-previous'],
      env(),
    );
    expect(run.code).toBe(0);
    const rows = run.stdout.split('\n').filter((line) => line.startsWith('sergas/'));
    expect(rows.map((row) => row.split(/\s{2,}/))).toEqual([
      [name('prod', 'broken_token'), 'webhook-bearer', 'would rotate, revoke'],
      [name('prod', 'mcp_token'), 'mcp-token', 'would rotate, revoke'],
      [name('prod', 'postgres_password'), 'postgres', 'would rotate, revoke'],
      [name('prod', 'webhook_token'), 'webhook-bearer', 'would rotate, revoke'],
    ]);
    expect(run.stdout).toContain(
      `skipped ${name('prod', 'not_rotated')}: no rotation function is configured`,
    );
    expect(run.stdout).toContain('dry run: 4 secrets would be rotated, 1 skipped; nothing changed');
    expect(run.stderr).toMatch(
      /: 5 of \d+ listed secrets match \(1 ListSecrets pages\); 4 wired to sergas-prod/,
    );
    expect(await snapshot()).toEqual(before);
    expect(functions.api.invocations.length).toBe(invocations);
    expect(alerts.messages).toEqual([]);
  });

  it("skips secrets wired to another environment's functions and names the --env that rotates them", async () => {
    const run = await runScript(
      'emergency.ts',
      ['--dry-run', '--match', `sergas/${RUN}/*/*`, '--reason', REASON],
      env(),
    );
    expect(run.code).toBe(0);
    const rows = run.stdout.split('\n').filter((line) => line.startsWith('sergas/'));
    expect(rows.map((row) => row.split(/\s{2,}/))).toEqual([
      [name('dev', 'redis_password'), 'redis', 'would rotate'],
      [name('dev', 'refresh_token'), 'zoho-oauth', 'would rotate'],
    ]);
    expect(run.stdout).toContain(`skipped ${name('dev', 'redis_admin')}: no rotation function is configured`);
    expect(run.stdout).toContain(
      `skipped ${name('prod', 'postgres_password')}: rotated by sergas-prod-postgres-rotation, not by a rotation function of sergas-dev (that is sergas-prod's: use --env prod)`,
    );
    expect(run.stdout).toContain('dry run: 2 secrets would be rotated, 6 skipped; nothing changed');
  });

  it('--tag narrows by exact tag pair, combined with --match', async () => {
    const run = await runNpmScript(
      'emergency',
      [
        '--dry-run',
        ...PROD,
        '--match',
        `sergas/${RUN}/**`,
        '--tag',
        'rotation-suite:kind=webhook-bearer',
        '--tag',
        'rotation-suite=sergas-prod',
        '--reason',
        REASON,
      ],
      env(),
    );
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n').filter((line) => line.startsWith('sergas/'))).toEqual([
      expect.stringContaining(name('prod', 'broken_token')),
      expect.stringContaining(name('prod', 'webhook_token')),
    ]);
  });

  it('rotates and revokes every matching secret, shows the failing one in the table and the one SNS summary, exits 1', async () => {
    const devBefore = await Promise.all(
      [name('dev', 'redis_password'), name('dev', 'refresh_token')].map((id) =>
        admin.versionAt(id, 'AWSCURRENT'),
      ),
    );
    const previous: Record<string, Value> = {};
    for (const label of ['PostgreSQL (single user)', 'Webhook bearer token', 'MCP server token']) {
      const target = targets[label] as RotationTarget;
      previous[label] = (await admin.valueAt(target.secretId, 'AWSCURRENT')) as Value;
    }
    const run = await runScript(
      'emergency.ts',
      [
        '--local',
        ...PROD,
        '--reason',
        REASON,
        '--revoke-previous',
        '--concurrency',
        '2',
        '--wait-seconds',
        '8',
        '--topic-arn',
        alerts.topicArn,
      ],
      env(),
      120_000,
    );
    expect(run.code).toBe(1);

    const progress = run.stderr.split('\n').filter((line) => /^\[\d\/4\] /.test(line));
    expect(progress).toHaveLength(4);
    expect(progress.filter((line) => line.includes('FAILED'))).toEqual([
      expect.stringMatching(
        new RegExp(
          `FAILED ${name('prod', 'broken_token')} \\(webhook-bearer, [\\d.]+ s\\): RotationTimeoutError`,
        ),
      ),
    ]);
    const rows = run.stdout
      .split('\n')
      .filter((line) => line.startsWith('sergas/') && !line.includes(':'))
      .map((row) => row.split(/\s{2,}/));
    expect(rows.map(([secret, kind, outcome, , error]) => [secret, kind, outcome, error])).toEqual([
      [name('prod', 'broken_token'), 'webhook-bearer', 'failed', 'RotationTimeoutError'],
      [name('prod', 'mcp_token'), 'mcp-token', 'rotated, revoked', '-'],
      [name('prod', 'postgres_password'), 'postgres', 'rotated, revoked', '-'],
      [name('prod', 'webhook_token'), 'webhook-bearer', 'rotated, revoked', '-'],
    ]);
    expect(run.stdout).toContain("what to do: Read the rotation function's logs");
    expect(run.stdout).toContain('4 secrets: 3 rotated (3 revoked), 1 failed; 1 skipped');

    const [notice, ...more] = await alerts.waitFor(1);
    expect(more).toEqual([]);
    expect(notice?.Subject).toBe(
      `Emergency rotation of sergas-prod: 1 of 4 failed: ${name('prod', 'broken_token')}`,
    );
    const body = JSON.parse(notice?.Message ?? '{}') as Value;
    expect(body).toMatchObject({
      type: 'emergency-fleet-rotation',
      stack: 'sergas-prod',
      reason: REASON,
      counts: { selected: 4, rotated: 3, revoked: 3, failed: 1, skipped: 1 },
      failed: [
        expect.objectContaining({
          secretName: name('prod', 'broken_token'),
          errorName: 'RotationTimeoutError',
        }),
      ],
    });

    // The new credentials work, the leaked ones are refused; dev was not touched.
    for (const [label, leaked] of Object.entries(previous)) {
      const target = targets[label] as RotationTarget;
      await target.settle();
      const current = (await admin.valueAt(target.secretId, 'AWSCURRENT')) as Value;
      seen.push(current, leaked);
      expect(await target.accepts(current)).toBe(true);
      expect(await target.accepts(leaked)).toBe(false);
    }
    expect(
      await Promise.all(
        [name('dev', 'redis_password'), name('dev', 'refresh_token')].map((id) =>
          admin.versionAt(id, 'AWSCURRENT'),
        ),
      ),
    ).toEqual(devBefore);

    const credentials = credentialsIn(seen);
    expect(credentials.length).toBeGreaterThan(5);
    const output = [run.stdout, run.stderr, JSON.stringify(alerts.messages)].join('\n');
    expect(credentials.filter((credential) => output.includes(credential))).toEqual([]);
  });

  it('without --local, invokes the deployed emergency-rotate once per secret and publishes its summary', async () => {
    const emergency = await LocalLambda.start('emergency-rotate', {
      env: {
        AWS_ENDPOINT_URL_LAMBDA: functions.api.endpoint,
        EMERGENCY_WAIT_SECONDS: '20',
        EMERGENCY_POLL_MS: '50',
      },
    });
    functions.api.register('sergas-dev-emergency-rotate', (event) => emergency.invoke(event));
    const summary = await startSnsListener(`emergency-fleet-deployed-${Date.now()}`);
    try {
      const before = functions.api.invocations.length;
      const run = await runNpmScript(
        'emergency',
        [
          '--match',
          `sergas/${RUN}/dev/*`,
          '--reason',
          REASON,
          '--concurrency',
          '1',
          '--topic-arn',
          summary.topicArn,
        ],
        env(),
        120_000,
      );
      expect(run.code).toBe(0);
      expect(run.stderr).toContain('rotating 2 secrets through sergas-dev-emergency-rotate, 1 at a time');
      expect(functions.api.invocations.slice(before)).toEqual([
        'sergas-dev-emergency-rotate',
        'sergas-dev-emergency-rotate',
      ]);
      expect(run.stdout).toContain('2 secrets: 2 rotated, 0 failed; 1 skipped');
      const [notice] = await summary.waitFor(1);
      expect(notice?.Subject).toBe('Emergency rotation of sergas-dev: 2 rotated');
      for (const label of ['Redis (ACL dual passwords)', 'Zoho CRM OAuth']) {
        const target = targets[label] as RotationTarget;
        const current = (await admin.valueAt(target.secretId, 'AWSCURRENT')) as Value;
        seen.push(current);
        expect(await target.accepts(current)).toBe(true);
      }
      const credentials = credentialsIn(seen);
      const output = [run.stdout, run.stderr, JSON.stringify(summary.messages)].join('\n');
      expect(credentials.filter((credential) => output.includes(credential))).toEqual([]);
    } finally {
      await emergency.stop();
      await summary.stop();
    }
  });

  it('refuses --secret-id with --match, a tag without a key, and a fleet without a reason (exit 2)', async () => {
    const runs = await Promise.all([
      runScript('emergency.ts', ['--secret-id', 'x', ...PROD, '--reason', REASON]),
      runScript('emergency.ts', [...PROD, '--tag', '=zoho', '--reason', REASON]),
      runScript('emergency.ts', PROD),
    ]);
    expect(runs.map((run) => run.code)).toEqual([2, 2, 2]);
    expect(runs[0]?.stderr).toContain('give either --secret-id or --match/--tag, not both');
    expect(runs[1]?.stderr).toContain('--tag =zoho: expected key=value or key (the tag key is empty)');
    expect(runs[2]?.stderr).toContain('--reason is required');
  });
});
