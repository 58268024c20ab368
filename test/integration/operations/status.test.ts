import { CancelRotateSecretCommand, TagResourceCommand } from '@aws-sdk/client-secrets-manager';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shipFunctionOutput } from '../../../dev/aws/cloudwatch-logs';
import { LocalLambda } from '../../../dev/aws/local-lambda';
import { RotationDriver } from '../../../dev/aws/rotation-driver';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import { listen, sendJson } from '../../../dev/lib/http-server';
import { runNpmScript, type ScriptRun } from '../../../dev/lib/run-script';
import type { EstateReport, SecretStatus } from '../../../ops/status/estate';
import { logGroupOf, rotationFunctionName, type Stack } from '../../../ops/suite';

/**
 * `npm run status` against moto, with one secret in every state, each wired to this file's own
 * stack (an org and environment no other test file uses, so the shared moto's other secrets stay
 * out): rotated by the real webhook-bearer bundle against a receiver whose paths accept, refuse
 * (401) or fail (503) the pending token, the function's output shipped to CloudWatch Logs as
 * Lambda would, so the status reads failures from the audit lines where it would in AWS.
 */
const run = randomUUID().slice(0, 8);
const stack: Stack = { org: `st${run}`, env: 'dev' };
const healthyStack: Stack = { org: `st${run}`, env: 'qa' };
const emptyStack: Stack = { org: `st${run}`, env: 'empty' };
const admin = new SecretsAdmin();
const driver = new RotationDriver({ attemptsPerStep: 2 });
const webhookFunction = rotationFunctionName(stack, 'webhook-bearer');

let receiver: Awaited<ReturnType<typeof listen>>;
let lambda: LocalLambda;
/** The webhook function of the other stacks: each runs as its own deployed name. */
const others: LocalLambda[] = [];
const names: Record<string, string> = {};
let failOnce = true;

async function webhookSecret(label: string, path: string, env = stack.env): Promise<string> {
  const name = `${stack.org}/hooks/${env}/${label}`;
  names[label] = name;
  return admin.create(name, {
    token: `whk_initial-${label}-${run}`,
    verify_url: `${receiver.origin}${path}`,
  });
}

const invoke = (event: unknown) => lambda.invoke(event);

/** The webhook function deployed by another stack, invoked as that stack's function. */
async function otherStackInvoke(other: Stack) {
  const started = await LocalLambda.start('webhook-bearer', {
    invokedAs: rotationFunctionName(other, 'webhook-bearer'),
  });
  others.push(started);
  return (event: unknown) => started.invoke(event);
}

beforeAll(async () => {
  receiver = await listen(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/accept') return sendJson(res, 200, { ok: true });
    if (path === '/flaky-once' && !failOnce) return sendJson(res, 200, { ok: true });
    if (path === '/flaky-once' || path === '/down') {
      failOnce = false;
      return sendJson(res, 503, { error: 'unavailable' });
    }
    return sendJson(
      res,
      401,
      { error: 'invalid_token' },
      { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
    );
  });
  lambda = await LocalLambda.start('webhook-bearer', { invokedAs: webhookFunction });

  // ok, after one retried testSecret (a failure that the completed rotation supersedes)
  await driver.rotate(await webhookSecret('healthy', '/flaky-once'), invoke, webhookFunction);
  // stuck: the receiver refuses the pending token, which no retry fixes
  const stuck = await webhookSecret('refused', '/refuse');
  await expect(driver.rotate(stuck, invoke, webhookFunction)).rejects.toThrow(/testSecret/);
  // rotating: the receiver is down (503, retryable); the service would retry later
  const retrying = await webhookSecret('retrying', '/down');
  await expect(driver.rotate(retrying, invoke, webhookFunction)).rejects.toThrow(/testSecret/);
  // rotating: RotateSecret staged a version nobody ran yet, on another kind's function
  const fresh = await webhookSecret('just-started', '/accept');
  await driver.startRotation(fresh, 30, rotationFunctionName(stack, 'mcp-token'));
  // overdue: rotated, but expected every second
  const overdue = await webhookSecret('overdue', '/accept');
  await driver.rotate(overdue, invoke, webhookFunction);
  await admin.sm.send(
    new TagResourceCommand({ SecretId: overdue, Tags: [{ Key: 'rotation-interval', Value: '1s' }] }),
  );
  // disabled: rotated, then rotation turned off
  const disabled = await webhookSecret('disabled', '/accept');
  await driver.rotate(disabled, invoke, webhookFunction);
  await admin.sm.send(new CancelRotateSecretCommand({ SecretId: disabled }));
  // not listed: never wired, and wired to another stack's function
  await webhookSecret('unwired', '/accept');
  const otherStack = { org: stack.org, env: 'other' };
  await driver.rotate(
    await webhookSecret('other-stack', '/accept'),
    await otherStackInvoke(otherStack),
    rotationFunctionName(otherStack, 'webhook-bearer'),
  );
  // a second stack with one healthy secret
  await driver.rotate(
    await webhookSecret('qa-healthy', '/accept', healthyStack.env),
    await otherStackInvoke(healthyStack),
    rotationFunctionName(healthyStack, 'webhook-bearer'),
  );

  await shipFunctionOutput(logGroupOf(webhookFunction), lambda.output());
  // Let the one-second interval (and its half-second grace) pass.
  await new Promise((resolve) => setTimeout(resolve, 1600));
});

afterAll(async () => {
  await lambda?.stop();
  await Promise.all(others.map((other) => other.stop()));
  await receiver?.stop();
});

const status = (target: Stack, ...args: string[]): Promise<ScriptRun> =>
  runNpmScript('status', ['--org', target.org, '--env', target.env, ...args]);

function rowOf(report: EstateReport, label: string): SecretStatus {
  const row = report.secrets.find((secret) => secret.name === names[label]);
  if (!row) throw new Error(`no row for ${label} in ${JSON.stringify(report.secrets.map((s) => s.name))}`);
  return row;
}

describe('npm run status', () => {
  let report: EstateReport;
  let json: ScriptRun;

  beforeAll(async () => {
    json = await status(stack, '--json');
    report = JSON.parse(json.stdout) as EstateReport;
  });

  it('lists every secret wired to the stack, and only those', () => {
    expect(report.secrets.map((s) => s.name).sort()).toEqual(
      ['healthy', 'refused', 'retrying', 'just-started', 'overdue', 'disabled'].map((l) => names[l]).sort(),
    );
    expect(report.stack).toEqual(stack);
  });

  it('names each state: ok, stuck at the failed step, rotating, overdue, disabled', () => {
    expect(rowOf(report, 'healthy')).toMatchObject({
      state: 'ok',
      kind: 'webhook-bearer',
      environment: 'dev',
    });
    expect(rowOf(report, 'refused')).toMatchObject({ state: 'stuck', stuckAt: 'testSecret' });
    expect(rowOf(report, 'retrying')).toMatchObject({ state: 'rotating' });
    expect(rowOf(report, 'just-started')).toMatchObject({ state: 'rotating', kind: 'mcp-token' });
    expect(rowOf(report, 'overdue')).toMatchObject({ state: 'overdue', schedule: 'every 1s (tag)' });
    expect(rowOf(report, 'disabled')).toMatchObject({ state: 'disabled' });
    expect(report.counts).toEqual({ stuck: 1, overdue: 1, disabled: 1, rotating: 2, ok: 1 });
    // Worst first.
    expect(report.secrets[0]?.state).toBe('stuck');
  });

  it("shows the last failure's error class and action from the audit trail, unless a completed rotation superseded it", () => {
    expect(rowOf(report, 'refused').lastFailure).toMatchObject({
      step: 'testSecret',
      errorClass: 'CredentialRejectedError',
      retryable: false,
      action: expect.stringContaining('AWSPENDING'),
    });
    expect(rowOf(report, 'retrying').lastFailure).toMatchObject({ step: 'testSecret', retryable: true });
    expect(rowOf(report, 'healthy').lastFailure).toBeUndefined();
    expect(rowOf(report, 'overdue').lastFailure).toBeUndefined();
  });

  it('gives the schedule, the last and the next rotation', () => {
    const healthy = rowOf(report, 'healthy');
    expect(healthy.schedule).toBe('every 30 days');
    expect(Date.parse(healthy.lastRotated ?? '')).toBeLessThanOrEqual(Date.parse(report.checkedAt));
    expect(Date.parse(healthy.nextRotation ?? '')).toBeGreaterThan(
      Date.parse(report.checkedAt) + 29 * 86_400_000,
    );
  });

  it('exits non-zero when anything is stuck or overdue, so it can gate a pipeline', async () => {
    expect(json.code).toBe(1);
    const healthy = await status(healthyStack, '--json');
    expect(healthy.code).toBe(0);
    expect((JSON.parse(healthy.stdout) as EstateReport).secrets.map((s) => s.state)).toEqual(['ok']);
  });

  it('prints a plain table without colour or symbols when stdout is not a terminal, with what to do below it', async () => {
    const table = await status(stack);
    expect(table.code).toBe(1);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^state\s+kind\s+secret\s+env\s+schedule\s+window\s+last rotated\s+next rotation\s+last failure$/,
    );
    expect(table.stdout).not.toContain(String.fromCharCode(27)); // no ANSI colour
    expect(table.stdout).not.toMatch(/[✓↻✗]/);
    const refused = lines.find((line) => line.includes(names.refused ?? '?') && line.startsWith('stuck'));
    expect(refused).toMatch(/^stuck at testSecret\s+webhook-bearer\s+.*testSecret CredentialRejectedError$/);
    expect(table.stdout).toContain(`${names.refused}: stuck at testSecret`);
    expect(table.stdout).toMatch(/what to do: .*AWSPENDING/);
    expect(lines.at(-2)).toBe(
      `6 secrets wired to ${stack.org}-dev: 1 stuck, 1 overdue, 1 disabled, 2 rotating, 1 ok`,
    );
  });

  it('warns, and passes, when no secret is wired to the stack', async () => {
    const empty = await status(emptyStack);
    expect(empty.code).toBe(0);
    expect(empty.stderr).toContain(`warning: no secret is wired to ${stack.org}-empty's rotation functions`);
  });

  it('prints no credential', () => {
    expect(json.stdout).not.toMatch(/whk_/);
  });
});
