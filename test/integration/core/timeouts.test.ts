import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LambdaInvokeError, LocalLambda } from '../../../dev/aws/local-lambda';
import { RotationDriver } from '../../../dev/aws/rotation-driver';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import { type SnsMessage, startSnsListener } from '../../../dev/aws/sns-listener';
import { type SilentServer, startSilentServer } from '../../../dev/lib/silent-server';

/**
 * A target that accepts the connection and never answers, against the built bundles with a short
 * remaining time in the Lambda context: the function gives up at its deadline margin and reports the
 * timeout exactly once (one failed audit line, one failure metric, one SNS alert naming the step, the
 * secret, what it was waiting for and the deadline), closes the connection it was waiting on, and
 * logs nothing afterwards.
 */
const admin = new SecretsAdmin();
const driver = new RotationDriver();
/** The remaining time each invocation starts with; the deadline margin is 2 s of it. */
const LAMBDA_TIMEOUT_MS = 3_500;

let silent: SilentServer;
let alerts: Awaited<ReturnType<typeof startSnsListener>>;

beforeAll(async () => {
  silent = await startSilentServer();
  alerts = await startSnsListener(`timeouts-${Date.now()}`);
});

afterAll(async () => {
  await silent?.stop();
  await alerts?.stop();
});

interface Case {
  functionName: string;
  value: Record<string, unknown>;
  /** The step that talks to the target first. */
  step: 'setSecret' | 'testSecret';
  /** What the alert must say the step was waiting for. */
  waitingFor: RegExp;
  /** Per-call timeouts well past the deadline, so only the deadline can end the wait. */
  env: Record<string, string>;
}

const target = () => `127.0.0.1:${silent.port}`;
const cases: Record<string, () => Case> = {
  postgres: () => ({
    functionName: 'postgres',
    value: {
      engine: 'postgres',
      host: '127.0.0.1',
      port: silent.port,
      username: 'app',
      password: 'timeout-Password-1234',
      dbname: 'app',
      ssl: false,
    },
    step: 'setSecret',
    waitingFor: new RegExp(`^connecting to ${target()}$`),
    env: { PG_CONNECT_TIMEOUT_MS: '600000' },
  }),
  redis: () => ({
    functionName: 'redis',
    value: {
      host: '127.0.0.1',
      port: silent.port,
      username: 'app',
      password: 'timeout-Password-1234',
      tls: false,
    },
    step: 'setSecret',
    waitingFor: new RegExp(`^connecting to ${target()}$`),
    env: { REDIS_CONNECT_TIMEOUT_MS: '120000', REDIS_COMMAND_TIMEOUT_MS: '120000' },
  }),
  'webhook (HTTP)': () => ({
    functionName: 'webhook-bearer',
    value: { token: 'whk_timeout-token-1234567890', verify_url: `http://${target()}/verify` },
    step: 'testSecret',
    waitingFor: new RegExp(`^webhook receiver at ${target()}$`),
    env: { HTTP_TIMEOUT_MS: '600000' },
  }),
};

/** The audit lines, EMF metric lines and anything else a function printed, parsed. */
function linesOf(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe.each(Object.keys(cases))('a %s target that accepts and never answers', (name) => {
  it('fails the step at the deadline margin: one audit line, one metric, one alert, then silence', async () => {
    const spec = (cases[name] as () => Case)();
    const secretName = admin.uniqueName('timeout', spec.functionName);
    const secretId = await admin.create(secretName, spec.value);
    const lambda = await LocalLambda.start(spec.functionName, {
      env: { ...spec.env, LAMBDA_TIMEOUT_MS: String(LAMBDA_TIMEOUT_MS), ALERT_TOPIC_ARN: alerts.topicArn },
    });
    try {
      const token = await driver.startRotation(secretId);
      const steps = ['createSecret', 'setSecret', 'testSecret'] as const;
      for (const step of steps.slice(0, steps.indexOf(spec.step))) {
        await lambda.invoke({ SecretId: secretId, ClientRequestToken: token, Step: step });
      }
      const alertsBefore = alerts.messages.length;
      const acceptedBefore = silent.accepted();
      const before = lambda.output().length;
      const started = Date.now();

      const failure = await lambda
        .invoke({ SecretId: secretId, ClientRequestToken: token, Step: spec.step })
        .catch((error: unknown) => error);
      const elapsed = Date.now() - started;
      expect(failure).toBeInstanceOf(LambdaInvokeError);
      expect((failure as LambdaInvokeError).errorType).toBe('InvocationTimeoutError');
      // Given up at the margin (2 s before the deadline), not at the deadline nor at a driver timeout.
      expect(elapsed).toBeGreaterThan(LAMBDA_TIMEOUT_MS - 2_000 - 100);
      expect(elapsed).toBeLessThan(LAMBDA_TIMEOUT_MS);
      expect(silent.accepted()).toBeGreaterThan(acceptedBefore);

      const atFailure = lambda.output().length;
      const lines = linesOf(lambda.output().slice(before, atFailure));
      const audits = lines.filter((line) => line.audit);
      expect(audits).toHaveLength(1);
      const audit = audits[0]?.audit as Record<string, unknown>;
      expect(audit).toMatchObject({
        step: spec.step,
        outcome: 'failed',
        errorClass: 'InvocationTimeoutError',
        retryable: true,
        secretArn: secretId,
      });
      expect(audit.waitingFor).toMatch(spec.waitingFor);
      expect(audit.message).toContain(`${spec.step} of ${secretName} ran out of time`);

      const metrics = lines.filter((line) => line._aws && 'RotationStepFailed' in line);
      expect(metrics).toHaveLength(1);
      expect(metrics[0]).toMatchObject({ RotationStepFailed: 1, Step: spec.step });
      expect(lines.filter((line) => 'RotationStepSucceeded' in line)).toHaveLength(0);

      const delivered = await alerts.waitFor(alertsBefore + 1);
      const alert = delivered.at(-1) as SnsMessage;
      expect(alert.Subject).toBe(
        `Rotation failed: ${spec.functionName} ${spec.step} (InvocationTimeoutError)`,
      );
      const body = JSON.parse(alert.Message) as Record<string, unknown>;
      expect(body).toMatchObject({ type: 'rotation-failure', step: spec.step, secretArn: secretId });
      expect(body.waitingFor).toMatch(spec.waitingFor);
      expect(Date.parse(String(body.deadline))).toBeGreaterThan(started);
      expect(String(body.message)).toContain('ran out of time');

      // The body was stopped, not left running: its connection is closed, it prints nothing more,
      // and no second alert follows.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(silent.open()).toBe(0);
      expect(lambda.output().slice(atFailure)).toBe('');
      expect(alerts.messages).toHaveLength(alertsBefore + 1);
      expect(lambda.output()).not.toContain(String(spec.value.password));
    } finally {
      await lambda.stop();
    }
  });
});
