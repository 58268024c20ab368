import { createServer, get, type Server } from 'node:http';
import { createServer as createHttpsServer, get as httpsGet, type Server as HttpsServer } from 'node:https';
import type { LookupAddress } from 'node:dns';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestPki } from '../../../dev/targets/tls';
import { noDeadline } from '../../../shared/net/deadline';
import { destinationPolicyFromEnv } from '../../../shared/net/destination-policy';
import { guardedAgents } from '../../../shared/net/guarded-agents';
import { httpRequest } from '../../../shared/net/http';
import { DestinationRefusal, pinnedLookup, resolveChecked } from '../../../shared/net/pinned-lookup';

/** A loopback server that records every connection and request it receives. */
let server: Server;
let port: number;
const seen = { connections: 0, requests: [] as Array<{ host: string | undefined; url: string | undefined }> };

beforeAll(async () => {
  server = createServer((request, response) => {
    seen.requests.push({ host: request.headers.host, url: request.url });
    response.end('ok');
  });
  server.on('connection', () => {
    seen.connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
afterEach(() => {
  seen.connections = 0;
  seen.requests = [];
  vi.unstubAllEnvs();
});

/** A resolver that answers each lookup with the next of `answers` (the last one repeats). */
function resolverAnswering(...answers: LookupAddress[][]) {
  const calls: string[] = [];
  const resolve = (
    hostname: string,
    _options: unknown,
    callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
  ) => {
    calls.push(hostname);
    const answer = answers[Math.min(calls.length - 1, answers.length - 1)] ?? [];
    setImmediate(() => callback(null, answer));
  };
  return { resolve, calls };
}

/** GET through a guarded agent; resolves with the body or rejects with the socket's error. */
function fetchThrough(lookup: ReturnType<typeof pinnedLookup>, url: string): Promise<string> {
  const { httpAgent } = guardedAgents(lookup);
  return new Promise((resolve, reject) => {
    get(url, { agent: httpAgent }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

const loopbackAllowed = () => destinationPolicyFromEnv({ ALLOW_LOOPBACK_HTTP: 'true' });
const v4 = (address: string): LookupAddress => ({ address, family: 4 });

describe('the pinned lookup', () => {
  it('connects to the address it checked, with the original name in the Host header', async () => {
    const { resolve } = resolverAnswering([v4('127.0.0.1')]);
    const body = await fetchThrough(
      pinnedLookup(loopbackAllowed, resolve),
      `http://hooks.example.test:${port}/v`,
    );
    expect(body).toBe('ok');
    expect(seen.requests).toEqual([{ host: `hooks.example.test:${port}`, url: '/v' }]);
  });

  it('refuses at connect time when the name rebinds to 169.254.169.254 after the check', async () => {
    // The first answer passes the early check (as a public address would), the second is the
    // rebinding answer the socket gets: the connection must not be made.
    const { resolve, calls } = resolverAnswering([v4('93.184.216.34')], [v4('169.254.169.254')]);
    const lookup = pinnedLookup(() => destinationPolicyFromEnv({}), resolve);
    await expect(resolveChecked('rebind.example.test', lookup)).resolves.toEqual([v4('93.184.216.34')]);
    const error = await fetchThrough(lookup, `http://rebind.example.test:${port}/`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DestinationRefusal);
    expect(error).toMatchObject({
      address: '169.254.169.254',
      message:
        'rebind.example.test resolves to 169.254.169.254, a link-local address (the instance metadata service)',
    });
    expect(calls).toEqual(['rebind.example.test', 'rebind.example.test']);
    expect(seen.connections).toBe(0);
  });

  it('refuses a name when any one of its addresses is refused', async () => {
    const { resolve } = resolverAnswering([v4('127.0.0.1'), v4('10.0.0.5')]);
    const error = await fetchThrough(
      pinnedLookup(loopbackAllowed, resolve),
      `http://mixed.test:${port}/`,
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'DestinationRefusal',
      address: '10.0.0.5',
      rule: 'a private address',
    });
    expect(seen.connections).toBe(0);
  });

  it('checks IPv6 answers, IPv4-mapped ones by the address they lead to', async () => {
    const { resolve } = resolverAnswering([{ address: '::ffff:a9fe:a9fe', family: 6 }]);
    await expect(
      resolveChecked(
        'mapped.test',
        pinnedLookup(() => destinationPolicyFromEnv({}), resolve),
      ),
    ).rejects.toMatchObject({
      rule: 'a link-local address (the instance metadata service) (it embeds 169.254.169.254)',
    });
  });
});

describe('httpRequest through the destination policy', () => {
  it('refuses a name that resolves to loopback without ALLOW_LOOPBACK_HTTP, before connecting, naming the key', async () => {
    vi.stubEnv('ALLOW_LOOPBACK_HTTP', '');
    const request = httpRequest({
      method: 'POST',
      url: new URL(`https://localhost:${port}/verify`),
      field: '`verify_url`',
      purpose: 'webhook receiver',
      deadline: noDeadline(),
      data: { token: 'never-sent' },
    });
    await expect(request).rejects.toMatchObject({
      name: 'UnsafeEndpointError',
      retryable: false,
      message: expect.stringMatching(
        /^`verify_url` host localhost resolves to (127\.0\.0\.1|::1), a loopback address/,
      ),
    });
    expect(seen.connections).toBe(0);
  });

  it('refuses an IP literal before any socket is opened, whoever built the URL', async () => {
    const request = httpRequest({
      method: 'GET',
      url: new URL('https://169.254.169.254/latest/meta-data/'),
      field: '`server_url`',
      purpose: 'MCP server',
      deadline: noDeadline(),
    });
    await expect(request).rejects.toThrow(
      '`server_url` points at 169.254.169.254, a link-local address (the instance metadata service)',
    );
  });

  it('ignores proxy variables: the address checked is the destination’s', async () => {
    vi.stubEnv('HTTP_PROXY', 'http://10.0.0.5:3128');
    vi.stubEnv('http_proxy', 'http://10.0.0.5:3128');
    const response = await httpRequest({
      method: 'GET',
      url: new URL(`http://127.0.0.1:${port}/direct`),
      field: '`verify_url`',
      purpose: 'webhook receiver',
      deadline: noDeadline(),
      responseType: 'text',
    });
    expect(response.data).toBe('ok');
    expect(seen.requests).toEqual([{ host: `127.0.0.1:${port}`, url: '/direct' }]);
  });
});

describe('TLS through the pinned lookup', () => {
  const pki = createTestPki();
  let tlsServer: HttpsServer;
  let tlsPort: number;
  const servernames: Array<string | false | null> = [];

  beforeAll(async () => {
    tlsServer = createHttpsServer(
      { cert: readFileSync(pki.serverCert), key: readFileSync(pki.serverKey) },
      (_request, response) => response.end('tls ok'),
    );
    tlsServer.on('secureConnection', (socket) => servernames.push(socket.servername));
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    tlsPort = (tlsServer.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => tlsServer.close(() => resolve())));

  function httpsThrough(hostname: string): Promise<string> {
    const { resolve } = resolverAnswering([v4('127.0.0.1')]);
    const { httpsAgent } = guardedAgents(pinnedLookup(loopbackAllowed, resolve));
    return new Promise((done, fail) => {
      httpsGet(
        `https://${hostname}:${tlsPort}/`,
        { agent: httpsAgent, ca: readFileSync(pki.caCert) },
        (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => done(body));
        },
      ).on('error', fail);
    });
  }

  it('sends the original name as SNI and verifies the certificate against it', async () => {
    await expect(httpsThrough('localhost')).resolves.toBe('tls ok');
    expect(servernames).toContain('localhost');
  });

  it('a name the certificate does not cover fails verification, though it resolves to the same address', async () => {
    await expect(httpsThrough('not-in-the-cert.test')).rejects.toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
  });
});
