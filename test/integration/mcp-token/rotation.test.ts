import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LambdaInvokeError, LocalLambda } from '../../../dev/aws/local-lambda';
import { startCountingProxy } from '../../../dev/aws/counting-proxy';
import {
  type McpSecretValue,
  type McpStack,
  mcpSecretValue,
  startMcpStack,
} from '../../../dev/targets/bearer-stacks';
import { listen, readBody, sendJson } from '../../../dev/lib/http-server';
import { RotationDriver } from '../../../dev/aws/rotation-driver';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import { protectedResourceMetadataUrl } from '../../../packages/consumer/src/mcp';

/**
 * mcp-token through its built bundle, against moto and a real MCP server (the official SDK over
 * Streamable HTTP) whose bearer auth is a BearerVerifier on the secret.
 */
const admin = new SecretsAdmin();
const driver = new RotationDriver({ attemptsPerStep: 1 });
const SERVER_TTL_MS = 300;
const timing = { ttlMs: SERVER_TTL_MS, minRefreshIntervalMs: 20 };
const DAY_MS = 24 * 3600 * 1000;

let lambda: LocalLambda;
const stops: (() => Promise<void>)[] = [];
const tokensSeen = new Set<string>();

const invoke = (event: unknown) => lambda.invoke(event);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Where the server's 401 challenge points (MCP 2025-06-18, RFC 9728). */
const metadataUrlOf = (serverUrl: string) => protectedResourceMetadataUrl(serverUrl).href;

async function stack(options: Parameters<typeof startMcpStack>[0] = {}): Promise<McpStack> {
  const created = await startMcpStack({ admin, ...timing, ...options });
  stops.push(created.stop);
  tokensSeen.add(created.initial.token);
  return created;
}

async function valueAt(secretId: string, stage: string): Promise<McpSecretValue | undefined> {
  const value = await admin.valueAt<McpSecretValue>(secretId, stage);
  if (value) tokensSeen.add(value.token);
  return value;
}

/** A raw initialize, as any MCP client sends it; returns the status and WWW-Authenticate header. */
async function initialize(url: string, token: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      Accept: 'application/json, text/event-stream',
      'Content-Type': 'application/json',
      Authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    }),
  });
  await response.arrayBuffer();
  return { status: response.status, challenge: response.headers.get('www-authenticate') };
}

async function failingStep(secretId: string, step: 'createSecret' | 'testSecret', fn = lambda) {
  const token = await driver.startRotation(secretId);
  if (step === 'testSecret') {
    for (const earlier of ['createSecret', 'setSecret']) {
      await fn.invoke({ SecretId: secretId, ClientRequestToken: token, Step: earlier });
    }
  }
  const error = await fn.invoke({ SecretId: secretId, ClientRequestToken: token, Step: step }).then(
    () => undefined,
    (e: unknown) => e,
  );
  await valueAt(secretId, 'AWSPENDING');
  expect(error).toBeInstanceOf(LambdaInvokeError);
  return error as LambdaInvokeError;
}

/** The audit line of this secret's testSecret (by name or ARN). */
function testSecretAudit(secretId: string): Record<string, unknown> | undefined {
  return lambda
    .jsonLines()
    .map((line) => line.audit as Record<string, unknown> | undefined)
    .find((a) => a?.step === 'testSecret' && (a.secretArn === secretId || a.secretName === secretId));
}

/** A server of our own for answers the SDK server never gives. */
async function fakeServer(handler: Parameters<typeof listen>[0]): Promise<string> {
  const server = await listen(handler);
  stops.push(server.stop);
  return `${server.origin}/mcp`;
}

beforeAll(async () => {
  lambda = await LocalLambda.start('mcp-token');
});

afterAll(async () => {
  await lambda?.stop();
  await Promise.all(stops.map((stop) => stop()));
});

describe('mcp-token rotation', () => {
  it('promotes a new mcp_ token proven by an MCP initialize, with a new expiry, and ends the probe session', async () => {
    const { secretId, initial, server } = await stack();
    const before = Date.now();
    await driver.rotate(secretId, invoke);

    const current = await valueAt(secretId, 'AWSCURRENT');
    expect(current?.token).toMatch(/^mcp_[A-Za-z0-9_-]{43}$/);
    expect(current).toEqual({ ...initial, token: current?.token, expires_at: current?.expires_at });
    // Defaults: 30 days of rotation interval plus 7 days of grace.
    const expiresIn = Date.parse(current?.expires_at ?? '') - before;
    expect(expiresIn).toBeGreaterThanOrEqual(37 * DAY_MS);
    expect(expiresIn).toBeLessThan(37 * DAY_MS + 60_000);
    expect(await valueAt(secretId, 'AWSPREVIOUS')).toEqual(initial);

    expect(server.counters.acceptedByStage).toEqual({ AWSPENDING: 2 }); // initialize, then DELETE
    expect(server.counters).toMatchObject({ rejected: 0, sessionsOpened: 1, sessionsClosed: 1 });
    expect(server.openSessions()).toBe(0);
    const audit = testSecretAudit(secretId);
    expect(audit).toMatchObject({ protocolVersion: '2025-11-25', session: 'ended', outcome: 'succeeded' });

    expect((await initialize(server.url, current?.token ?? '')).status).toBe(200);
    expect((await initialize(server.url, initial.token)).status).toBe(200);
  });

  it('works as well with a server answering plain JSON instead of an event stream', async () => {
    const { secretId, server } = await stack({ jsonResponses: true });
    await driver.rotate(secretId, invoke);
    await valueAt(secretId, 'AWSCURRENT');
    expect(server.counters).toMatchObject({ rejected: 0, sessionsOpened: 1, sessionsClosed: 1 });
  });

  it('stops reading once initialize is answered, even if the server keeps its event stream open', async () => {
    const url = await fakeServer(async (req, res) => {
      await readBody(req);
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write(': keep-alive comment\n\n');
      res.write('event: message\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{}}\n\n');
      res.write(
        'event: message\ndata: {"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18",\ndata: "capabilities":{},"serverInfo":{"name":"held-open","version":"0"}}}\n\n',
      );
      // Never res.end(): the client must not wait for the stream to close.
    });
    const secretId = await admin.create(admin.uniqueName('mcp', 'token'), mcpSecretValue(url));
    const started = performance.now();
    await driver.rotate(secretId, invoke);
    expect(performance.now() - started).toBeLessThan(5_000);
    await valueAt(secretId, 'AWSCURRENT');
    const audit = testSecretAudit(secretId);
    expect(audit).toMatchObject({ protocolVersion: '2025-06-18', serverName: 'held-open', session: 'none' });
  });

  it('honours MCP_TOKEN_LIFETIME_DAYS and MCP_TOKEN_GRACE_DAYS', async () => {
    const { secretId } = await stack();
    const custom = await LocalLambda.start('mcp-token', {
      env: { MCP_TOKEN_LIFETIME_DAYS: '10', MCP_TOKEN_GRACE_DAYS: '2' },
    });
    try {
      const before = Date.now();
      await driver.rotate(secretId, (event) => custom.invoke(event));
      const expiresIn = Date.parse((await valueAt(secretId, 'AWSCURRENT'))?.expires_at ?? '') - before;
      expect(Math.round(expiresIn / DAY_MS)).toBe(12);

      const invalid = await LocalLambda.start('mcp-token', { env: { MCP_TOKEN_LIFETIME_DAYS: '0' } });
      try {
        const error = await failingStep(secretId, 'createSecret', invalid);
        expect(error.errorType).toBe('TokenLifetimeConfigError');
        expect(error.message).toBe(
          'MCP_TOKEN_LIFETIME_DAYS must be a whole number of days between 1 and 3650',
        );
      } finally {
        await invalid.stop();
      }
    } finally {
      await custom.stop();
    }
  });

  it('the server rejects an expired token with the reason, and rotation replaces it', async () => {
    const { secretId, initial, server } = await stack({
      initial: { expires_at: new Date(Date.now() - 1000).toISOString() },
    });
    expect(await initialize(server.url, initial.token)).toEqual({
      status: 401,
      challenge: `Bearer resource_metadata="${metadataUrlOf(server.url)}", error="invalid_token", error_description="the bearer token has expired"`,
    });
    await driver.rotate(secretId, invoke);
    const current = await valueAt(secretId, 'AWSCURRENT');
    expect((await initialize(server.url, current?.token ?? '')).status).toBe(200);
    // Still AWSPREVIOUS, but expired: refused.
    expect((await initialize(server.url, initial.token)).status).toBe(401);
    expect(server.counters.rejectedByReason).toEqual({ expired: 2 });
  });

  it('rejects the token from two rotations ago', async () => {
    const { secretId, initial, server } = await stack();
    await driver.rotate(secretId, invoke);
    const second = await valueAt(secretId, 'AWSCURRENT');
    await driver.rotate(secretId, invoke);
    await sleep(SERVER_TTL_MS);
    expect((await initialize(server.url, second?.token ?? '')).status).toBe(200);
    expect(await initialize(server.url, initial.token)).toEqual({
      status: 401,
      challenge: `Bearer resource_metadata="${metadataUrlOf(server.url)}", error="invalid_token", error_description="the bearer token is not valid"`,
    });
  });

  it('revokePrevious removes AWSPREVIOUS; the server rejects the previous token once its cache refreshes', async () => {
    const { secretId, initial, server } = await stack();
    await driver.rotate(secretId, invoke);
    expect((await initialize(server.url, initial.token)).status).toBe(200);
    await invoke({ Action: 'revokePrevious', SecretId: secretId, Reason: 'agent host compromised' });
    expect(Object.values(await admin.stages(secretId)).flat()).not.toContain('AWSPREVIOUS');
    await sleep(SERVER_TTL_MS);
    expect((await initialize(server.url, initial.token)).status).toBe(401);
    expect((await initialize(server.url, (await valueAt(secretId, 'AWSCURRENT'))?.token ?? '')).status).toBe(
      200,
    );
  });
});

describe('mcp-token failures are clear and change nothing', () => {
  it('a server that does not accept the token fails testSecret with its WWW-Authenticate reason', async () => {
    const other = await stack();
    const secretId = await admin.create(admin.uniqueName('mcp', 'token'), mcpSecretValue(other.server.url));
    const error = await failingStep(secretId, 'testSecret');
    expect(error.errorType).toBe('CredentialRejectedError');
    expect(error.message).toMatch(
      /^MCP server at 127\.0\.0\.1:\d+ refused the pending token: HTTP 401 \(invalid_token: the bearer token is not valid\)$/,
    );
    expect(await admin.versionAt(secretId, 'AWSCURRENT')).toBeDefined();
  });

  it('a token without the scopes the server requires fails testSecret with 403 insufficient_scope', async () => {
    const { secretId } = await stack({ initial: { scopes: ['crm.write'] } });
    const error = await failingStep(secretId, 'testSecret');
    expect(error.errorType).toBe('PermissionDeniedError');
    expect(error.message).toMatch(
      /accepted the pending token but forbids the call: HTTP 403 \(insufficient_scope: the token lacks scope crm\.read\)$/,
    );
  });

  it('a JSON-RPC error to initialize fails testSecret with its message', async () => {
    const url = await fakeServer(async (req, res) => {
      await readBody(req);
      sendJson(res, 200, {
        jsonrpc: '2.0',
        id: 1,
        error: { code: -32602, message: 'Unsupported protocol version' },
      });
    });
    const secretId = await admin.create(admin.uniqueName('mcp', 'token'), mcpSecretValue(url));
    const error = await failingStep(secretId, 'testSecret');
    expect(error.errorType).toBe('McpProtocolError');
    expect(error.message).toMatch(
      /^MCP server at 127\.0\.0\.1:\d+ answered initialize with JSON-RPC error -32602: Unsupported protocol version$/,
    );
  });

  it('a server that answers 500 fails testSecret as a retryable target error', async () => {
    const { secretId, initial, server } = await stack();
    server.forceStatus = 500;
    const error = await failingStep(secretId, 'testSecret');
    expect(error.errorType).toBe('TargetError');
    expect(error.message).toMatch(/^MCP server at 127\.0\.0\.1:\d+ failed with HTTP 500$/);
    expect((await valueAt(secretId, 'AWSCURRENT'))?.token).toBe(initial.token);
  });

  it('a URL that is not an MCP endpoint fails testSecret saying what came back', async () => {
    const url = await fakeServer(async (req, res) => {
      await readBody(req);
      res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>welcome</html>');
    });
    const secretId = await admin.create(admin.uniqueName('mcp', 'token'), mcpSecretValue(url));
    const error = await failingStep(secretId, 'testSecret');
    expect(error.errorType).toBe('McpProtocolError');
    expect(error.message).toMatch(
      /answered initialize with content type "text\/html", not JSON or an event stream$/,
    );
  });

  it('a secret missing keys fails createSecret naming each', async () => {
    const secretId = await admin.create(admin.uniqueName('mcp', 'token'), {
      token: 'mcp_existing-token-0000000000000000000000000',
      scopes: 'crm.read',
      issuer: 'sergas-platform',
    });
    const error = await failingStep(secretId, 'createSecret');
    expect(error.errorType).toBe('SecretFormatError');
    expect(error.message).toMatch(
      /is not a valid mcp-token secret: `expires_at` is required; `scopes` must be an array; `server_url` is required$/,
    );
    expect(await admin.valueAt(secretId, 'AWSPENDING')).toBeUndefined();
  });

  it('a plain-http server_url is refused without the loopback switch', async () => {
    const { secretId } = await stack();
    const strict = await LocalLambda.start('mcp-token', { env: { ALLOW_LOOPBACK_HTTP: '' } });
    try {
      const error = await failingStep(secretId, 'createSecret', strict);
      expect(error.errorType).toBe('UnsafeEndpointError');
      expect(error.message).toBe(
        '`server_url` must use https (plain http is allowed only for loopback hosts with ALLOW_LOOPBACK_HTTP=true)',
      );
    } finally {
      await strict.stop();
    }
  });
});

describe('mcp-token cost and hygiene', () => {
  it('makes a fixed, small number of Secrets Manager calls per rotation', async () => {
    const { secretId } = await stack();
    const counter = await startCountingProxy(process.env.AWS_ENDPOINT_URL ?? '');
    const counted = await LocalLambda.start('mcp-token', { env: { AWS_ENDPOINT_URL: counter.endpoint } });
    try {
      const token = await driver.startRotation(secretId);
      const started = performance.now();
      await driver.runSteps(secretId, token, (event) => counted.invoke(event));
      const wallMs = performance.now() - started;
      console.info(
        `mcp-token rotation (warm): ${Math.round(wallMs)} ms, calls ${JSON.stringify(counter.counts())}, init ${Math.round(counted.initMs)} ms`,
      );
      expect(counter.counts()).toEqual({
        DescribeSecret: 4,
        GetSecretValue: 2,
        PutSecretValue: 1,
        UpdateSecretVersionStage: 1,
      });
      await valueAt(secretId, 'AWSCURRENT');
    } finally {
      await counted.stop();
      await counter.stop();
    }
  });

  it('never prints a token in any log or metric line', async () => {
    const output = lambda.output();
    expect(output).toContain('"outcome":"succeeded"');
    expect(output).toContain('"outcome":"failed"');
    expect(tokensSeen.size).toBeGreaterThan(10);
    for (const token of tokensSeen) {
      expect(output).not.toContain(token);
      expect(output).not.toContain(token.slice(4));
    }
  });
});
