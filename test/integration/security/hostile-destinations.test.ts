import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LambdaInvokeError, LocalLambda } from '../../../dev/aws/local-lambda';
import { RotationDriver } from '../../../dev/aws/rotation-driver';
import { SecretsAdmin } from '../../../dev/aws/secrets-admin';
import { type RecordingServer, startRecordingServer } from '../../../dev/targets/recording-server';
import { generateToken } from '../../../shared/credentials/token';

/**
 * Someone who can edit a secret's JSON points its URLs somewhere the built functions must never
 * send a credential. Each refusal must come before any connection is opened (a loopback server
 * records everything it receives and must receive nothing), name the key and the rule, and leave
 * AWSCURRENT untouched. Run under `unshare -n` (npm run test:isolated) there is nothing but
 * loopback, so a check that let a request through would fail with an unreachable network instead
 * of the refusal these tests expect.
 */
const admin = new SecretsAdmin();
const driver = new RotationDriver({ attemptsPerStep: 1 });
let recorder: RecordingServer;
const lambdas: LocalLambda[] = [];
const tokens: string[] = [];

async function start(functionName: string, env: Record<string, string> = {}): Promise<LocalLambda> {
  const lambda = await LocalLambda.start(functionName, { env });
  lambdas.push(lambda);
  return lambda;
}

/** A webhook secret pointing at `verifyUrl`, a rotation started, and createSecret's outcome. */
async function createStepWith(lambda: LocalLambda, value: Record<string, unknown>) {
  const secretId = await admin.create(admin.uniqueName('hostile', 'bearer'), value);
  const currentBefore = await admin.versionAt(secretId, 'AWSCURRENT');
  const token = await driver.startRotation(secretId);
  const error = await lambda
    .invoke({ SecretId: secretId, ClientRequestToken: token, Step: 'createSecret' })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  return { secretId, token, currentBefore, error };
}

async function expectUntouched(secretId: string, currentBefore: string | undefined) {
  expect(await admin.versionAt(secretId, 'AWSCURRENT')).toBe(currentBefore);
  expect(await admin.valueAt(secretId, 'AWSPENDING')).toBeUndefined();
}

beforeAll(async () => {
  recorder = await startRecordingServer();
});

afterAll(async () => {
  await Promise.all(lambdas.map((lambda) => lambda.stop()));
  await recorder?.stop();
  // No token of this file reached the recorder or the functions' output.
  for (const token of tokens) {
    expect(recorder.received()).not.toContain(token);
    for (const lambda of lambdas) expect(lambda.output()).not.toContain(token);
  }
});

describe('hostile webhook URLs against the built webhook-bearer bundle', () => {
  let webhook: LocalLambda;
  beforeAll(async () => {
    webhook = await start('webhook-bearer');
  });

  it.each([
    [
      'https://169.254.169.254/latest/meta-data/iam/',
      '169.254.169.254, a link-local address (the instance metadata service)',
    ],
    ['https://2852039166/', '169.254.169.254, a link-local address (the instance metadata service)'],
    ['https://0xA9FEA9FE/', '169.254.169.254, a link-local address (the instance metadata service)'],
    ['https://0251.0376.0251.0376/', '169.254.169.254, a link-local address (the instance metadata service)'],
    [
      'https://[::ffff:169.254.169.254]/',
      '::ffff:a9fe:a9fe, a link-local address (the instance metadata service) (it embeds 169.254.169.254)',
    ],
    ['https://[fd00:ec2::254]/', 'fd00:ec2::254, a unique-local address (the instance metadata service)'],
    [
      'https://[64:ff9b::a9fe:a9fe]/',
      '64:ff9b::a9fe:a9fe, a link-local address (the instance metadata service) (it embeds 169.254.169.254)',
    ],
    ['https://10.0.0.5/hook', '10.0.0.5, a private address'],
    ['https://100.64.0.1/hook', '100.64.0.1, a shared (carrier-grade NAT) address'],
    ['https://[fd00::1]/hook', 'fd00::1, a unique-local IPv6 address'],
    ['https://0.0.0.0/hook', '0.0.0.0, an unspecified address'],
    ['https://224.0.0.1/hook', '224.0.0.1, a multicast address'],
  ])('refuses verify_url %s at createSecret, before anything is stored or sent', async (url, rule) => {
    const token = generateToken('whk');
    tokens.push(token);
    const { secretId, currentBefore, error } = await createStepWith(webhook, { token, verify_url: url });
    expect(error).toBeInstanceOf(LambdaInvokeError);
    expect(error).toMatchObject({
      name: 'UnsafeEndpointError',
      message: `\`verify_url\` points at ${rule}; no credential is sent there`,
    });
    await expectUntouched(secretId, currentBefore);
    expect(recorder.connections()).toBe(0);
  });

  it('refuses register_url the same way', async () => {
    const token = generateToken('whk');
    tokens.push(token);
    const { error } = await createStepWith(webhook, {
      token,
      verify_url: `${recorder.url}/verify`,
      register_url: 'https://[::ffff:a9fe:a9fe]/register',
    });
    expect(error).toMatchObject({
      name: 'UnsafeEndpointError',
      message: expect.stringMatching(/^`register_url` points at/),
    });
    expect(recorder.connections()).toBe(0);
  });

  it('refuses a pending version tampered with after createSecret, at testSecret, AWSCURRENT untouched', async () => {
    const token = generateToken('whk');
    tokens.push(token);
    const secretId = await admin.create(admin.uniqueName('hostile', 'bearer'), {
      token,
      verify_url: 'https://[::1]/never',
    });
    const currentBefore = await admin.versionAt(secretId, 'AWSCURRENT');
    const version = await driver.startRotation(secretId);
    // The version is staged by RotateSecret with no value; the attacker writes it first.
    const { PutSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
    const pendingToken = generateToken('whk');
    tokens.push(pendingToken);
    await admin.sm.send(
      new PutSecretValueCommand({
        SecretId: secretId,
        ClientRequestToken: version,
        SecretString: JSON.stringify({ token: pendingToken, verify_url: 'https://0x0a000005/steal' }),
        VersionStages: ['AWSPENDING'],
      }),
    );
    const error = await webhook
      .invoke({ SecretId: secretId, ClientRequestToken: version, Step: 'testSecret' })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toMatchObject({
      name: 'UnsafeEndpointError',
      message: '`verify_url` points at 10.0.0.5, a private address; no credential is sent there',
    });
    expect(await admin.versionAt(secretId, 'AWSCURRENT')).toBe(currentBefore);
    expect(recorder.connections()).toBe(0);
  });
});

describe('the operator’s switches, in the built bundles', () => {
  it('without ALLOW_LOOPBACK_HTTP, a loopback literal and a name resolving to loopback are refused before connecting', async () => {
    const strict = await start('webhook-bearer', { ALLOW_LOOPBACK_HTTP: 'false' });
    for (const url of [`https://127.0.0.1:${recorder.port}/v`, `https://localhost:${recorder.port}/v`]) {
      const token = generateToken('whk');
      tokens.push(token);
      const { secretId, currentBefore, error } = await createStepWith(strict, { token, verify_url: url });
      expect(error).toMatchObject({
        name: 'UnsafeEndpointError',
        message: expect.stringMatching(
          /^`verify_url` (points at 127\.0\.0\.1|host localhost resolves to (127\.0\.0\.1|::1)), a loopback address/,
        ),
      });
      await expectUntouched(secretId, currentBefore);
    }
    expect(recorder.connections()).toBe(0);
  });

  it('with ALLOWED_HOSTS set, nothing else is reached, not even the loopback test server', async () => {
    const listed = await start('webhook-bearer', { ALLOWED_HOSTS: 'hooks.partner.example,*.corp.example' });
    const token = generateToken('whk');
    tokens.push(token);
    const { secretId, currentBefore, error } = await createStepWith(listed, {
      token,
      verify_url: `${recorder.url}/verify`,
    });
    expect(error).toMatchObject({
      name: 'UnsafeEndpointError',
      message:
        "`verify_url` host 127.0.0.1 is not in this function's ALLOWED_HOSTS (hooks.partner.example, *.corp.example)",
    });
    await expectUntouched(secretId, currentBefore);
    expect(recorder.connections()).toBe(0);
  });

  it('a malformed ALLOW_PRIVATE_DESTINATIONS fails the step as a configuration error', async () => {
    const misconfigured = await start('webhook-bearer', { ALLOW_PRIVATE_DESTINATIONS: '169.254.0.0/16' });
    const token = generateToken('whk');
    tokens.push(token);
    const { error } = await createStepWith(misconfigured, { token, verify_url: 'https://10.0.0.5/' });
    expect(error).toMatchObject({
      name: 'ConfigurationError',
      message:
        'ALLOW_PRIVATE_DESTINATIONS: 169.254.0.0/16 is not within a private, shared or unique-local range',
    });
  });
});

describe('hostile URLs against the built mcp-token and zoho-oauth bundles', () => {
  it('mcp-token refuses server_url at the metadata address', async () => {
    const mcp = await start('mcp-token');
    const token = generateToken('mcp');
    tokens.push(token);
    const { secretId, currentBefore, error } = await createStepWith(mcp, {
      token,
      expires_at: new Date(Date.now() + 86_400_000).toISOString(),
      scopes: ['tools'],
      issuer: 'test',
      server_url: 'https://[::ffff:169.254.169.254]/mcp',
    });
    expect(error).toMatchObject({
      name: 'UnsafeEndpointError',
      message: expect.stringMatching(/^`server_url` points at ::ffff:a9fe:a9fe/),
    });
    await expectUntouched(secretId, currentBefore);
  });

  it('zoho-oauth refuses an accounts_server outside the data centres before the refresh token leaves', async () => {
    const zoho = await start('zoho-oauth');
    const refresh = `1000.${'r'.repeat(32)}.${'s'.repeat(32)}`;
    tokens.push(refresh);
    const { secretId, currentBefore, error } = await createStepWith(zoho, {
      client_id: '1000.CLIENTID',
      client_secret: 'client-secret-value-0123456789',
      refresh_token: refresh,
      accounts_server: 'https://2852039166',
      api_domain: 'https://www.zohoapis.eu',
    });
    expect(error).toMatchObject({
      name: 'UnsafeEndpointError',
      message: expect.stringContaining('`accounts_server` points at 169.254.169.254, a link-local address'),
    });
    await expectUntouched(secretId, currentBefore);
    expect(recorder.connections()).toBe(0);
  });
});

describe('where this run happens', () => {
  it('reports whether only loopback exists (npm run test:isolated runs this file under unshare -n)', () => {
    const names = Object.keys(networkInterfaces());
    if (process.env.EXPECT_LOOPBACK_ONLY === '1') expect(names).toEqual(['lo']);
    expect(names).toContain('lo');
  });
});
