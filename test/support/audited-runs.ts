import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach } from 'vitest';
import { forgetSecrets } from '../../shared/observability/redaction';
import { clearVersionCache } from '../../shared/secrets/version-cache';
import { captureOutput } from './capture';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:rotation-alerts';

/**
 * For a file that runs audited invocations in process: Secrets Manager and SNS mocked (every
 * publish answered), an alert topic set, nothing remembered or cached between tests, and the
 * output captured. Registers its own beforeEach/afterEach.
 */
export function auditedRuns() {
  const sm = mockClient(SecretsManagerClient);
  const sns = mockClient(SNSClient);
  let output: ReturnType<typeof captureOutput> | undefined;
  beforeEach(() => {
    sm.reset();
    sns.reset();
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    clearVersionCache();
    forgetSecrets();
    process.env.ALERT_TOPIC_ARN = TOPIC;
    output = captureOutput();
  });
  afterEach(() => {
    output?.restore();
    delete process.env.ALERT_TOPIC_ARN;
  });
  const captured = () => {
    if (!output) throw new Error('auditedRuns: no test is running');
    return output;
  };
  return {
    sm,
    /** The SNS Publish inputs so far. */
    published: () => sns.commandCalls(PublishCommand).map((call) => call.args[0].input),
    text: () => captured().text(),
    json: () => captured().json(),
    /** The audit objects of the audit lines so far. */
    audits: () =>
      captured()
        .json()
        .filter((line) => line.audit)
        .map((line) => line.audit as Record<string, unknown>),
  };
}
