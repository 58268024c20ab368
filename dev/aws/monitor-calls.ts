import type { CountingProxy } from './counting-proxy';
import { LocalLambda } from './local-lambda';

export interface MonitorCallCount {
  /** Secrets the monitor checked. */
  checked: number;
  /** ListSecrets pages it read. */
  listPages: number;
  /** ListSecretVersionIds calls: one per secret that needed a second look. */
  perSecretCalls: number;
  /** Every Secrets Manager call it made, by action. */
  byAction: Record<string, number>;
  stuck: number;
  rotating: number;
}

/**
 * Run the built rotation-monitor once, with the counting proxy as its only AWS endpoint, and count
 * the Secrets Manager calls it made for the secrets tagged `rotation-suite=<tagValue>`: what a
 * fleet costs the monitor (the bench and the monitor's tests).
 */
export async function countMonitorCalls(
  proxy: CountingProxy,
  tagValue: string,
  env: Record<string, string> = {},
): Promise<MonitorCallCount> {
  const monitor = await LocalLambda.start('rotation-monitor', {
    env: {
      AWS_ENDPOINT_URL: proxy.endpoint,
      MONITOR_TAG_KEY: 'rotation-suite',
      MONITOR_TAG_VALUE: tagValue,
      ...env,
    },
  });
  try {
    proxy.reset();
    const summary = (await monitor.invoke({})) as {
      checked: number;
      stuck: string[];
      secrets: { rotating: boolean }[];
    };
    const byAction = proxy.counts();
    return {
      checked: summary.checked,
      listPages: byAction.ListSecrets ?? 0,
      perSecretCalls: byAction.ListSecretVersionIds ?? 0,
      byAction,
      stuck: summary.stuck.length,
      rotating: summary.secrets.filter((secret) => secret.rotating).length,
    };
  } finally {
    await monitor.stop();
  }
}
