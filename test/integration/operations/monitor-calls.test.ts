import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CountingProxy, startCountingProxy } from '../../../dev/aws/counting-proxy';
import { countMonitorCalls } from '../../../dev/aws/monitor-calls';
import { RotationDriver } from '../../../dev/aws/rotation-driver';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';

/**
 * What a fleet costs the monitor in Secrets Manager calls, counted by a proxy in front of moto:
 * the ListSecrets pages, and a ListSecretVersionIds only for a secret whose pending version may be
 * stuck. 150 secrets under a tag value of this file's own, three of them mid-rotation.
 */
const admin = new SecretsAdmin();
const driver = new RotationDriver();
const TAG_VALUE = `monitor-calls-${randomUUID().slice(0, 8)}`;
const SECRETS = 150;
const ROTATING = 3;
let proxy: CountingProxy;

beforeAll(async () => {
  proxy = await startCountingProxy(process.env.AWS_ENDPOINT_URL as string);
  const ids: string[] = [];
  for (let i = 0; i < SECRETS; i += 25) {
    ids.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(25, SECRETS - i) }, () =>
          admin.create(
            admin.uniqueName('monitor-calls', 'token'),
            { token: 'not-a-real-token-0123456789' },
            { 'rotation-suite': TAG_VALUE, 'rotation-interval': '30d' },
          ),
        ),
      )),
    );
  }
  // Rotations under way: RotateSecret staged AWSPENDING just now, nothing completes them.
  for (const id of ids.slice(0, ROTATING)) await driver.startRotation(id);
});

afterAll(async () => {
  await proxy?.stop();
});

describe('the rotation monitor on a fleet', () => {
  it('reads 150 secrets in two ListSecrets pages and dates no rotation that cannot be stuck yet', async () => {
    const count = await countMonitorCalls(proxy, TAG_VALUE);
    expect(count).toMatchObject({ checked: SECRETS, listPages: 2, perSecretCalls: 0, rotating: ROTATING });
    expect(count.byAction).toEqual({ ListSecrets: 2 });
  });

  it('dates each pending version that may be stuck, one call each, and flags them', async () => {
    // moto dates versions at listing time, so only a zero threshold makes these "maybe stuck".
    const count = await countMonitorCalls(proxy, TAG_VALUE, { STUCK_AFTER_MINUTES: '0' });
    expect(count).toMatchObject({
      checked: SECRETS,
      listPages: 2,
      perSecretCalls: ROTATING,
      stuck: ROTATING,
    });
  });
});
