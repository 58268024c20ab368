import { spawn } from 'node:child_process';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { beforeAll, describe, expect, it } from 'vitest';
import { type LocalSuiteStack, deploySuiteStack } from '../../../dev/aws/suite-stack';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import { refreshScheduleName } from '../../../ops/wire/refresh-schedule';

/**
 * `npm run wire` and `npm run unwire` as an operator runs them, against moto with the suite's stack
 * as `sam deploy` would leave it (its outputs resolved from template.yaml, dev/aws/suite-stack.ts):
 * every kind wires, dry-runs without changing anything, unwires, and is refused when its value
 * lacks a key its function needs, with a message naming the key and never a value.
 */
const admin = new SecretsAdmin();
const sm = new SecretsManagerClient({});
const scheduler = new SchedulerClient({});
let stack: LocalSuiteStack;

beforeAll(async () => {
  stack = await deploySuiteStack();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function npmRun(script: 'wire' | 'unwire', args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', script, '--', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const PASSWORD = 'first-password-0123456789abcdef';
const TOKEN = 'tok_0123456789abcdefghijklmnop';

interface Case {
  kind: string;
  component: string;
  /** The secret's value; `refs` are the referenced secrets' ARNs by key. */
  value(refs: Record<string, string>): Record<string, unknown>;
  /** A secret it names, created first, and the role tag wire must give it. */
  reference?: { key: string; value: Record<string, unknown>; role: string };
  required: string;
  schedule: string;
  window: string;
}

const CASES: Case[] = [
  {
    kind: 'postgres',
    component: 'cognee',
    value: (refs) => ({
      engine: 'postgres',
      host: 'db.internal',
      port: 5432,
      username: 'app',
      password: PASSWORD,
      dbname: 'app',
      masterarn: refs.masterarn,
    }),
    reference: {
      key: 'masterarn',
      value: { username: 'postgres', password: PASSWORD },
      role: 'postgres-master',
    },
    required: 'host',
    schedule: 'rate(90 days)',
    window: '4h',
  },
  {
    kind: 'redis',
    component: 'redis',
    value: (refs) => ({
      host: 'redis.internal',
      port: 6379,
      username: 'crm',
      password: PASSWORD,
      adminarn: refs.adminarn,
    }),
    reference: { key: 'adminarn', value: { username: 'admin', password: PASSWORD }, role: 'redis-admin' },
    required: 'username',
    schedule: 'rate(90 days)',
    window: '4h',
  },
  {
    kind: 'zoho-oauth',
    component: 'zoho',
    value: (refs) => ({
      refresh_token: TOKEN,
      accounts_server: 'https://accounts.zoho.eu',
      client_secret_arn: refs.client_secret_arn,
    }),
    reference: {
      key: 'client_secret_arn',
      value: { client_id: '1000.ABC', client_secret: PASSWORD },
      role: 'zoho-client',
    },
    required: 'refresh_token',
    schedule: 'rate(4 hours)',
    window: '1h',
  },
  {
    kind: 'webhook-bearer',
    component: 'webhook',
    value: () => ({ token: TOKEN, verify_url: 'https://hooks.example.com/verify' }),
    required: 'verify_url',
    schedule: 'rate(30 days)',
    window: '4h',
  },
  {
    kind: 'mcp-token',
    component: 'mcp',
    value: () => ({
      token: TOKEN,
      expires_at: '2027-01-01T00:00:00Z',
      scopes: ['crm:read'],
      issuer: 'ops',
      server_url: 'https://mcp.example.com/mcp',
    }),
    required: 'server_url',
    schedule: 'rate(30 days)',
    window: '4h',
  },
];

async function describeSecret(id: string) {
  const out = await sm.send(new DescribeSecretCommand({ SecretId: id }));
  return {
    enabled: out.RotationEnabled === true,
    lambda: out.RotationLambdaARN,
    rules: out.RotationRules,
    tags: Object.fromEntries((out.Tags ?? []).map((t) => [t.Key, t.Value])),
    versions: out.VersionIdsToStages,
  };
}

async function refreshSchedule(secretName: string) {
  return scheduler
    .send(
      new GetScheduleCommand({
        Name: refreshScheduleName(secretName),
        GroupName: stack.outputs.ZohoRefreshScheduleGroupName,
      }),
    )
    .catch((error: Error) => {
      if (error.name === 'ResourceNotFoundException') return undefined;
      throw error;
    });
}

/** A fresh secret of the case's kind (and the secret it names); returns both names. */
async function createSecret(c: Case, value?: Record<string, unknown>) {
  const refs: Record<string, string> = {};
  let referenceName: string | undefined;
  if (c.reference) {
    referenceName = admin.uniqueName(c.component, `${c.reference.key}_ref`);
    refs[c.reference.key] = await admin.create(referenceName, c.reference.value);
  }
  const name = admin.uniqueName(c.component, 'wired');
  await admin.create(name, value ?? c.value(refs));
  return { name, referenceName };
}

describe.each(CASES)('npm run wire / unwire: $kind', (c) => {
  it('wires: the function from the stack outputs, the kind schedule and window, the monitor tags, the role tag', async () => {
    const { name, referenceName } = await createSecret(c);
    const run = await npmRun('wire', ['--secret-id', name, '--kind', c.kind]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`wired ${name}`);
    const after = await describeSecret(name);
    const functionOutput = Object.entries(stack.outputs).find(
      ([key, value]) => key.endsWith('RotationFunctionArn') && value.endsWith(`-${c.kind}-rotation`),
    );
    expect(after).toMatchObject({
      enabled: true,
      lambda: functionOutput?.[1],
      rules: { ScheduleExpression: c.schedule, Duration: c.window },
      tags: { 'rotation-suite': 'sergas-dev', 'rotation-suite:kind': c.kind },
    });
    if (referenceName)
      expect((await describeSecret(referenceName)).tags).toEqual({
        'rotation-suite:role': c.reference?.role,
      });
    const schedule = await refreshSchedule(name);
    if (c.kind === 'zoho-oauth') {
      expect(after.tags['rotation-interval']).toBe('45m');
      expect(schedule).toMatchObject({
        ScheduleExpression: 'rate(45 minutes)',
        State: 'ENABLED',
        Target: {
          Arn: 'arn:aws:scheduler:::aws-sdk:secretsmanager:rotateSecret',
          RoleArn: stack.outputs.ZohoRefreshSchedulerRoleArn,
        },
      });
      expect(JSON.parse(schedule?.Target?.Input ?? '{}')).toMatchObject({ RotateImmediately: true });
      expect(String(JSON.parse(schedule?.Target?.Input ?? '{}').SecretId)).toContain(`:secret:${name}`);
    } else {
      expect(after.tags['rotation-interval']).toBeUndefined();
      expect(schedule).toBeUndefined();
    }
    // Wiring again is harmless: same state, and no second RotateSecret (it fails while one runs).
    const again = await npmRun('wire', ['--secret-id', name, '--kind', c.kind]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('RotateSecret not repeated');
    expect(await describeSecret(name)).toEqual(after);
  });

  it('--dry-run says what it would do and changes nothing', async () => {
    const { name, referenceName } = await createSecret(c);
    const before = await describeSecret(name);
    const referenceBefore = referenceName ? await describeSecret(referenceName) : undefined;
    const run = await npmRun('wire', ['--secret-id', name, '--kind', c.kind, '--dry-run']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`dry run: would wire ${name}`);
    expect(run.stdout).toContain(`RotateSecret ${name}`);
    expect(run.stdout).toContain(`${c.schedule}, window ${c.window}`);
    expect(run.stdout).toContain('dry run: nothing was changed');
    expect(await describeSecret(name)).toEqual(before);
    if (referenceName) expect(await describeSecret(referenceName)).toEqual(referenceBefore);
    expect(await refreshSchedule(name)).toBeUndefined();
  });

  it('unwires: rotation off, the monitor tags and the Zoho refresh gone; --dry-run first changes nothing', async () => {
    const { name } = await createSecret(c);
    expect((await npmRun('wire', ['--secret-id', name, '--kind', c.kind])).code).toBe(0);
    const wired = await describeSecret(name);
    const dry = await npmRun('unwire', ['--secret-id', name, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`CancelRotateSecret ${name}`);
    expect(await describeSecret(name)).toEqual(wired);

    const run = await npmRun('unwire', ['--secret-id', name]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const after = await describeSecret(name);
    expect(after.enabled).toBe(false);
    expect(after.tags).toEqual({});
    expect(await refreshSchedule(name)).toBeUndefined();
    // Nothing left to undo.
    expect((await npmRun('unwire', ['--secret-id', name])).stdout).toContain('is not wired: nothing to do');
  });

  it(`refuses a secret without \`${c.required}\`, naming the key, changing nothing, printing no value`, async () => {
    const value = Object.fromEntries(Object.entries(c.value({})).filter(([key]) => key !== c.required));
    const { name } = await createSecret(c, value);
    const before = await describeSecret(name);
    const run = await npmRun('wire', ['--secret-id', name, '--kind', c.kind]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('SecretFormatRefusedError');
    expect(run.stderr).toContain(`\`${c.required}\` is required`);
    expect(run.stderr).toContain('nothing was changed');
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
    expect(run.stdout + run.stderr).not.toContain(TOKEN);
    expect(await describeSecret(name)).toEqual(before);
  });
});

describe('npm run wire: schedules, windows and refusals', () => {
  const webhook = CASES.find((c) => c.kind === 'webhook-bearer') as Case;

  it('takes a cron schedule with its window, and tags the interval the monitor cannot read from a cron', async () => {
    const { name } = await createSecret(webhook);
    const run = await npmRun('wire', [
      '--secret-id',
      name,
      '--kind',
      'webhook-bearer',
      '--schedule',
      'cron(0 2 ? * SUN *)',
      '--window',
      '3h',
    ]);
    expect(run.code).toBe(0);
    expect(await describeSecret(name)).toMatchObject({
      rules: { ScheduleExpression: 'cron(0 2 ? * SUN *)', Duration: '3h' },
      tags: { 'rotation-interval': '168h' },
    });
  });

  it('refuses a window Secrets Manager would refuse, before touching anything (exit 2)', async () => {
    const { name } = await createSecret(webhook);
    const run = await npmRun('wire', [
      '--secret-id',
      name,
      '--kind',
      'webhook-bearer',
      '--schedule',
      'cron(0 22 * * ? *)',
      '--window',
      '4h',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('runs into the next UTC day');
    expect((await describeSecret(name)).enabled).toBe(false);
  });

  it('--rotate-now starts the first rotation: AWSPENDING staged for the functions to fill', async () => {
    const { name } = await createSecret(webhook);
    const run = await npmRun('wire', ['--secret-id', name, '--kind', 'webhook-bearer', '--rotate-now']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('rotating now');
    const stages = Object.values((await describeSecret(name)).versions ?? {});
    expect(stages).toContainEqual(['AWSPENDING']);
  });

  it('refuses a secret outside the stack prefix, and one already wired to another function', async () => {
    const outside = `other/webhook/dev/bearer-${Date.now()}`;
    await admin.create(outside, webhook.value({}));
    const run = await npmRun('wire', [
      '--secret-id',
      outside,
      '--kind',
      'webhook-bearer',
      '--stack',
      stack.name,
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('outside stack sergas-dev-rotation-suite');

    const { name } = await createSecret(webhook);
    expect((await npmRun('wire', ['--secret-id', name, '--kind', 'webhook-bearer'])).code).toBe(0);
    const again = await npmRun('wire', ['--secret-id', name, '--kind', 'mcp-token']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('is already wired to');
    expect(again.stderr).toContain('unwire');
  });

  it('refuses a master secret outside the prefix, naming the key that points at it', async () => {
    const postgres = CASES.find((c) => c.kind === 'postgres') as Case;
    const master = await admin.create(`sergas/cognee/prod/master-${Date.now()}`, {
      username: 'postgres',
      password: PASSWORD,
    });
    const { name } = await createSecret(postgres, postgres.value({ masterarn: master }));
    const run = await npmRun('wire', ['--secret-id', name, '--kind', 'postgres']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('`masterarn` names');
    expect(run.stderr).toContain('outside sergas/*/dev/*');
  });

  it("refuses an ElastiCache user the stack's RedisUserArns does not list, and wires one it does", async () => {
    const qa = await deploySuiteStack({
      env: 'qa',
      parameters: { RedisUserArns: 'arn:aws:elasticache:us-east-1:123456789012:user:listed-user' },
    });
    const user = (id: string) => ({
      user_arn: `arn:aws:elasticache:us-east-1:123456789012:user:${id}`,
      username: id,
      password: PASSWORD,
    });
    const unlisted = `sergas/redis/qa/unlisted-${Date.now()}`;
    await admin.create(unlisted, user('unlisted-user'));
    const refused = await npmRun('wire', ['--secret-id', unlisted, '--kind', 'redis']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`not in stack ${qa.name}'s RedisUserArns`);
    expect((await describeSecret(unlisted)).tags).toEqual({});

    const listed = `sergas/redis/qa/listed-${Date.now()}`;
    await admin.create(listed, user('listed-user'));
    expect((await npmRun('wire', ['--secret-id', listed, '--kind', 'redis'])).code).toBe(0);
    expect((await describeSecret(listed)).tags).toMatchObject({ 'rotation-suite': 'sergas-qa' });
  });

  it('says when the stack is not deployed', async () => {
    const { name } = await createSecret(webhook);
    const run = await npmRun('wire', [
      '--secret-id',
      name,
      '--kind',
      'webhook-bearer',
      '--stack',
      'sergas-dev-nothing',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('no stack sergas-dev-nothing');
  });
});
