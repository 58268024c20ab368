import { createServer, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretCache } from '../../../packages/consumer/src/secret-cache';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';

/**
 * issue 14, "The consumer cache": a read racing invalidate() against moto. A proxy in front of moto
 * holds the answer to the first GetSecretValue (fetched before the rotation, so it carries the old
 * value) while the secret rotates, the service invalidates and reads again; then lets it through.
 */
const admin = new SecretsAdmin();
let proxy: { endpoint: string; holdNext(): () => void; stop(): Promise<void> };

beforeAll(async () => {
  const upstream = new URL(process.env.AWS_ENDPOINT_URL ?? '');
  let hold: Promise<void> | undefined;
  const server = createServer((incoming, outgoing: ServerResponse) => {
    const held = hold;
    hold = undefined;
    const forward = request(
      {
        hostname: upstream.hostname,
        port: upstream.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      async (answer) => {
        const body: Buffer[] = [];
        for await (const chunk of answer) body.push(chunk as Buffer);
        await held; // moto has answered (with the value of that moment); the client waits
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers).end(Buffer.concat(body));
      },
    );
    incoming.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy = {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    holdNext() {
      let release = () => {};
      hold = new Promise<void>((resolve) => (release = resolve));
      return release;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
});

afterAll(() => proxy?.stop());

describe('SecretCache.invalidate() racing a fetch in flight (moto)', () => {
  it('the read after invalidate() gets the new AWSCURRENT, and the late old answer is not cached', async () => {
    const secretId = await admin.create(admin.uniqueName('webhooks', 'bearer'), { token: 'whk_old' });
    const cache = new SecretCache({
      ttlMs: 60_000,
      client: new SecretsManagerClient({ endpoint: proxy.endpoint }),
    });

    const release = proxy.holdNext();
    const before = cache.getJSON<{ token: string }>(secretId);
    // Give the request time to reach moto and be answered (with the old value) before rotating.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await admin.sm.send(
      new PutSecretValueCommand({ SecretId: secretId, SecretString: '{"token":"whk_new"}' }),
    );
    cache.invalidate(secretId);
    // The old answer comes through a little later, whatever happens to the new read.
    setTimeout(release, 300);
    const after = await cache.getJSON<{ token: string }>(secretId);

    expect(after.token).toBe('whk_new');
    expect((await before).token).toBe('whk_old');
    expect((await cache.getJSON<{ token: string }>(secretId)).token).toBe('whk_new');
  });
});
