/**
 * `npm run demo`: the suite's main job on a laptop. Starts moto (Secrets Manager, SNS, Lambda,
 * CloudWatch Logs, CloudFormation, EventBridge Scheduler) with the suite's stack as `sam deploy`
 * leaves it, a PostgreSQL cluster and Redis servers with real password checks (one behind the
 * local ElastiCache/MemoryDB user API), a local Zoho, two webhook receivers and an MCP server;
 * creates secrets of every kind under the naming convention (two PostgreSQL databases' and two
 * webhooks' among them); wires each to the stack with the same code as `npm run wire --rotate-now`
 * (its kind's schedule, the monitor's tags, the Zoho refresh); rotates each through its built bundle
 * (rebuilt first if a source changed) the way Secrets Manager would, printing every step; proves
 * what each rotation promises; runs one
 * emergency rotation with revokePrevious; prints a summary, then the estate as `npm run status`
 * shows it; cleans up everything it started, and exits non-zero if anything failed. Never prints a
 * secret value. README.md's excerpt of this output is compared with a real run by a test.
 */
import { monitorConfigFromEnv } from '../functions/rotation-monitor/settings';
import { needsAction } from '../functions/rotation-monitor/assess';
import { shipFunctionOutput } from '../dev/aws/cloudwatch-logs';
import { LocalLambda } from '../dev/aws/local-lambda';
import { ensureFreshBundles } from '../dev/lib/fresh-build';
import { missingTools } from '../dev/lib/preflight';
import { table } from '../ops/table';
import { type MotoServer, motoEnvironment, startMoto } from '../dev/aws/moto';
import { type PostgresCluster, startPostgres } from '../dev/targets/postgres/cluster';
import { RotationDriver, type StepAttempt } from '../dev/aws/rotation-driver';
import { type RotationServiceHandle, startRotationService } from '../dev/aws/rotation-service';
import { credentialsIn, type RotationFunctions, startRotationFunctions } from '../dev/aws/rotation-functions';
import { SecretsAdmin } from '../dev/aws/secrets-admin';
import { startSnsListener } from '../dev/aws/sns-listener';
import { type RotationTarget, startLocalTargets } from '../dev/targets';
import { readEstate } from '../ops/status/estate';
import { renderTable, styleFor } from '../ops/status/render';
import { emergencyFunctionName, logGroupOf } from '../ops/suite';
import { wire } from '../ops/wire/wire';
import { deploySuiteStack } from '../dev/aws/suite-stack';
import { postgresTarget, webhookTarget } from '../dev/targets/index';

const ORG = 'sergas';
const ENV = 'dev';

interface Outcome {
  target: RotationTarget;
  versions: number;
  totalMs: number;
  result: string;
  ok: boolean;
}

const say = (line = '') => process.stdout.write(`${line}\n`);
/** `sergas/redis/dev/password` from an ARN (moto adds a 6-character suffix) or a name. */
const displayName = (secretId: string) => (secretId.split(':secret:')[1] ?? secretId).replace(/-\w{6}$/, '');
const mark = (ok: boolean) => (ok ? 'ok' : 'FAILED');

async function main(): Promise<number> {
  const missing = missingTools();
  if (missing.length > 0) {
    for (const hint of missing) say(`missing tool: ${hint}`);
    return 2;
  }

  const cleanup: (() => Promise<unknown>)[] = [];
  const outcomes: Outcome[] = [];
  try {
    const bundles = await ensureFreshBundles();
    say(
      `${bundles.functions.length} function bundles in dist/, ${bundles.rebuilt ? bundles.functions.length : 0} rebuilt`,
    );
    const started = new Date();

    const moto: MotoServer = await startMoto();
    cleanup.push(() => moto.stop());
    // The functions and this script talk to moto; rotators may call the local http servers.
    Object.assign(process.env, motoEnvironment(moto.endpoint), { ALLOW_LOOPBACK_HTTP: 'true' });
    say(
      `moto (Secrets Manager, SNS, Lambda, CloudWatch Logs, CloudFormation, Scheduler) on ${moto.endpoint}`,
    );

    const alerts = await startSnsListener(`${ORG}-${ENV}-rotation-alerts`);
    cleanup.push(() => alerts.stop());
    process.env.ALERT_TOPIC_ARN = alerts.topicArn;
    // What sam deploy --config-env dev leaves behind: the functions and the stack's outputs.
    const stack = await deploySuiteStack({ org: ORG, env: ENV, alertTopicArn: alerts.topicArn });
    say(`stack ${stack.name}: ${Object.keys(stack.outputs).length} outputs, as sam deploy leaves it`);

    const cluster: PostgresCluster = await startPostgres();
    cleanup.push(() => cluster.stop());
    say(`PostgreSQL ${cluster.host}:${cluster.port} (scram-sha-256)`);

    const admin = new SecretsAdmin();
    const name = (component: string, type: string) => `${ORG}/${component}/${ENV}/${type}`;
    const targets = await startLocalTargets(cluster, admin, {
      names: {
        'postgres-single-user': { secretName: name('cognee', 'postgres_password') },
        'postgres-alternating-users': {
          secretName: name('cognee', 'postgres_app_password'),
          masterSecretName: name('cognee', 'postgres_master'),
        },
        redis: { secretName: name('redis', 'password'), adminSecretName: name('redis', 'acl_admin') },
        'redis-elasticache': { secretName: name('redis', 'elasticache_user_password') },
        zoho: { secretName: name('zoho', 'refresh_token') },
        webhook: { secretName: name('webhook', 'bearer_token') },
        mcp: { secretName: name('mcp', 'auth_token') },
      },
    });
    // More secrets of some kinds, to the same functions: a second database, a second partner's webhook.
    targets.splice(
      2,
      0,
      await postgresTarget(cluster, admin, 'alternating-users', {
        secretName: name('billing', 'postgres_app_password'),
        masterSecretName: name('billing', 'postgres_master'),
      }),
    );
    targets.push(await webhookTarget(admin, { secretName: name('webhook-acme', 'bearer_token') }));
    for (const target of targets) cleanup.push(() => target.stop());
    say(
      `local Redis, ElastiCache user API, Zoho, webhook receivers and MCP server started; ${targets.length} secrets created`,
    );

    // What an operator runs once per secret: npm run wire -- --secret-id <name> --kind <kind> --rotate-now
    say();
    const tokens = new Map<RotationTarget, string>();
    for (const target of targets) {
      const wired = await wire({
        secretId: target.secretId,
        kind: target.functionName,
        rotateNow: true,
        say,
      });
      if (wired.rotationToken) tokens.set(target, wired.rotationToken);
    }

    // One warm "container" per function, reachable through a local Lambda Invoke API (for revoke).
    const functions: RotationFunctions = await startRotationFunctions(targets);
    cleanup.push(() => functions.stop());

    say();
    for (const target of targets)
      outcomes.push(await rotateAndProve(target, admin, functions, tokens.get(target)));

    say();
    const emergencyOutput: string[] = [];
    outcomes.push(await emergency(targets[1] as RotationTarget, admin, functions, cleanup, emergencyOutput));

    say();
    say(
      table(
        ['type', 'secret', 'versions', 'total', 'result'],
        outcomes.map((o) => [
          o.target.label,
          displayName(o.target.secretId),
          o.versions,
          `${o.totalMs} ms`,
          o.result,
        ]),
      ),
    );
    await alerts.waitFor(1, 2_000); // the emergency rotation's notice
    const leaked = await valuesLeakedIn(functions.output() + JSON.stringify(alerts.messages), admin, targets);
    say();
    for (const message of alerts.messages) say(`alert topic: ${message.Subject ?? '(no subject)'}`);
    say(`secret values found in function output or alerts: ${leaked}`);
    const failed = outcomes.filter((o) => !o.ok).length + (leaked > 0 ? 1 : 0);
    say(failed === 0 ? 'all rotations proven.' : `${failed} problem(s): see above.`);

    // What Lambda does with the functions' output, then what an operator looks at next.
    for (const [functionName, output] of functions.outputByFunction())
      await shipFunctionOutput(logGroupOf(functionName), output);
    await shipFunctionOutput(
      logGroupOf(emergencyFunctionName({ org: ORG, env: ENV })),
      emergencyOutput.join(''),
    );
    const estate = await readEstate({
      stack: { org: ORG, env: ENV },
      thresholds: monitorConfigFromEnv(),
      auditSince: started,
    });
    say();
    say('the estate, as npm run status shows it:');
    say(renderTable(estate, styleFor(process.stdout)));
    const troubled = estate.secrets.filter((secret) => needsAction(secret.state)).length;
    return failed + troubled === 0 ? 0 : 1;
  } catch (error) {
    say(`demo failed: ${(error as Error).message}`);
    return 1;
  } finally {
    for (const stop of cleanup.reverse()) await stop().catch(() => undefined);
  }
}

async function proven(
  target: RotationTarget,
  admin: SecretsAdmin,
  totalMs: number,
  ok: boolean,
  success: string,
): Promise<Outcome> {
  const versions = Object.keys(await admin.stages(target.secretId)).length;
  return { target, versions, totalMs, ok, result: ok ? success : 'proof failed' };
}

function failed(target: RotationTarget, started: number, result: string): Outcome {
  return { target, versions: 0, totalMs: Math.round(performance.now() - started), ok: false, result };
}

function progress(target: RotationTarget) {
  const secretName = displayName(target.secretId);
  return (attempt: StepAttempt) =>
    say(
      `  ${secretName.padEnd(40)} ${attempt.step.padEnd(13)} ${`${Math.round(attempt.durationMs)} ms`.padStart(7)}  ${
        attempt.ok ? 'ok' : `failed (attempt ${attempt.attempt}): ${attempt.error}`
      }`,
    );
}

/** Secrets Manager's part of the rotation wire started: the four steps for its token. */
async function rotateAndProve(
  target: RotationTarget,
  admin: SecretsAdmin,
  functions: RotationFunctions,
  token: string | undefined,
): Promise<Outcome> {
  say(`${target.label}`);
  const driver = new RotationDriver({ onAttempt: progress(target) });
  const started = performance.now();
  try {
    if (!token) throw new Error('wire started no rotation');
    await driver.runSteps(target.secretId, token, functions.invoker(target));
    const totalMs = Math.round(performance.now() - started);
    await target.settle();
    const current = (await admin.valueAt(target.secretId, 'AWSCURRENT')) ?? {};
    const previous = (await admin.valueAt(target.secretId, 'AWSPREVIOUS')) ?? {};
    const currentWorks = await target.accepts(current);
    const previousWorks = await target.accepts(previous);
    const previousAsPromised = previousWorks === (target.previousAfterRotation === 'works');
    say(`  proof: new credential works: ${mark(currentWorks)}`);
    say(
      `  proof: previous credential ${target.previousAfterRotation === 'works' ? 'still works (zero downtime)' : 'refused (single user)'}: ${mark(previousAsPromised)}`,
    );
    return proven(target, admin, totalMs, currentWorks && previousAsPromised, 'rotated, proven');
  } catch (error) {
    say(`  rotation failed: ${(error as Error).message}`);
    return failed(target, started, 'rotation failed');
  }
}

/** An operator's emergency rotation: rotate now and make the previous credential stop working. */
async function emergency(
  target: RotationTarget,
  admin: SecretsAdmin,
  functions: RotationFunctions,
  cleanup: (() => Promise<unknown>)[],
  output: string[],
): Promise<Outcome> {
  say(`Emergency rotation of ${target.label} with revokePrevious`);
  // Secrets Manager's part after RotateSecret: invoke the four steps (moto does not).
  const service: RotationServiceHandle = await startRotationService(
    [target.secretId],
    functions.invoker(target),
  );
  const emergencyLambda = await LocalLambda.start('emergency-rotate', {
    env: {
      AWS_ENDPOINT_URL_LAMBDA: functions.api.endpoint,
      EMERGENCY_WAIT_SECONDS: '60',
      EMERGENCY_POLL_MS: '100',
    },
  });
  cleanup.push(() => emergencyLambda.stop());
  const before = (await admin.valueAt(target.secretId, 'AWSCURRENT')) ?? {};
  const started = performance.now();
  try {
    const report = (await emergencyLambda.invoke({
      secretId: target.secretId,
      reason: 'demo: credential pasted in a public channel',
      revokePrevious: true,
    })) as { detail?: string };
    const totalMs = Math.round(performance.now() - started);
    await target.settle();
    const current = (await admin.valueAt(target.secretId, 'AWSCURRENT')) ?? {};
    const newWorks = await target.accepts(current);
    const oldRefused = !(await target.accepts(before));
    say(`  ${report.detail ?? ''} (${totalMs} ms)`);
    say(`  proof: new credential works: ${mark(newWorks)}`);
    say(`  proof: old credential refused: ${mark(oldRefused)}`);
    return proven(target, admin, totalMs, newWorks && oldRefused, 'emergency, revoked');
  } catch (error) {
    say(`  emergency rotation failed: ${(error as Error).message}`);
    return failed(target, started, 'emergency failed');
  } finally {
    await service.stop();
    output.push(emergencyLambda.output());
  }
}

/** How many credentials (of every target's current and previous version) appear in `text`. */
async function valuesLeakedIn(text: string, admin: SecretsAdmin, targets: RotationTarget[]): Promise<number> {
  const values = [];
  for (const target of targets) {
    for (const stage of ['AWSCURRENT', 'AWSPREVIOUS'])
      values.push(await admin.valueAt(target.secretId, stage));
  }
  return credentialsIn(values).filter((credential) => text.includes(credential)).length;
}

process.exitCode = await main();
