import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { BearerVerifier } from '../../../packages/consumer/src/bearer-verifier';
import {
  bearerChallenge,
  McpBearerAuth,
  protectedResourceMetadata,
  protectedResourceMetadataUrl,
} from '../../../packages/consumer/src/mcp';
import { SecretCache } from '../../../packages/consumer/src/secret-cache';

const sm = mockClient(SecretsManagerClient);

beforeEach(() => {
  sm.reset();
  sm.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { v1: ['AWSCURRENT'] } });
  sm.on(GetSecretValueCommand, { VersionId: 'v1' }).resolves({
    SecretString: JSON.stringify({ token: 'mcp_good', scopes: ['crm.read'], issuer: 'sergas-platform' }),
  });
});

function auth(requiredScopes: string[] = []) {
  const verifier = new BearerVerifier({
    secretId: 'agents/mcp',
    cache: new SecretCache({ client: new SecretsManagerClient({}) }),
  });
  return new McpBearerAuth({
    verifier,
    resource: 'https://mcp.example.com/mcp',
    authorizationServers: ['https://auth.example.com'],
    requiredScopes,
  });
}

const METADATA = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp';

describe('protected-resource metadata (RFC 9728)', () => {
  it('puts the well-known segment between the host and the resource path', () => {
    expect(protectedResourceMetadataUrl('https://mcp.example.com/mcp').href).toBe(METADATA);
    expect(protectedResourceMetadataUrl('https://mcp.example.com/').href).toBe(
      'https://mcp.example.com/.well-known/oauth-protected-resource',
    );
    expect(protectedResourceMetadataUrl('https://h.example:8443/tenants/a/mcp/').href).toBe(
      'https://h.example:8443/.well-known/oauth-protected-resource/tenants/a/mcp',
    );
  });

  it('requires an authorization server (MCP) and a resource without fragment', () => {
    expect(() => protectedResourceMetadata({ resource: 'https://h/mcp', authorizationServers: [] })).toThrow(
      /at least one authorization server/,
    );
    expect(() =>
      protectedResourceMetadata({ resource: 'https://h/mcp#x', authorizationServers: ['https://a'] }),
    ).toThrow(/fragment/);
    expect(
      protectedResourceMetadata({
        resource: 'https://h/mcp',
        authorizationServers: ['https://a'],
        scopesSupported: ['crm.read'],
      }),
    ).toEqual({
      resource: 'https://h/mcp',
      authorization_servers: ['https://a'],
      bearer_methods_supported: ['header'],
      scopes_supported: ['crm.read'],
    });
  });
});

describe('McpBearerAuth', () => {
  it('no token: 401 with resource_metadata and no error code (RFC 6750 3.1)', async () => {
    const outcome = await auth().authenticate(undefined);
    expect(outcome).toMatchObject({ ok: false, status: 401, reason: 'missing' });
    expect(!outcome.ok && outcome.challenge).toBe(`Bearer resource_metadata="${METADATA}"`);
  });

  it('a refused token: 401 with resource_metadata, error and description', async () => {
    const outcome = await auth().authenticate('Bearer mcp_bad');
    expect(!outcome.ok && outcome.challenge).toBe(
      `Bearer resource_metadata="${METADATA}", error="invalid_token", error_description="the bearer token is not valid"`,
    );
    expect(!outcome.ok && outcome.body).toEqual({
      error: 'invalid_token',
      error_description: 'the bearer token is not valid',
    });
  });

  it('a valid token without the required scope: 403 insufficient_scope naming the scope', async () => {
    const outcome = await auth(['crm.write']).authenticate('Bearer mcp_good');
    expect(outcome).toMatchObject({ ok: false, status: 403, reason: 'insufficient_scope' });
    expect(!outcome.ok && outcome.challenge).toBe(
      `Bearer resource_metadata="${METADATA}", error="insufficient_scope", error_description="the token lacks scope crm.write", scope="crm.write"`,
    );
  });

  it('a valid token: the MCP SDK AuthInfo, with the label it was accepted under', async () => {
    const outcome = await auth(['crm.read']).authenticate('Bearer mcp_good');
    expect(outcome.ok && outcome.authInfo).toEqual({
      token: 'mcp_good',
      clientId: 'sergas-platform',
      scopes: ['crm.read'],
      resource: new URL('https://mcp.example.com/mcp'),
      extra: { stage: 'AWSCURRENT', versionId: 'v1' },
    });
    const failed = await auth().authenticate(undefined);
    if (failed.ok) throw new Error('expected a refusal');
    const response = McpBearerAuth.response(failed);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${METADATA}"`);
  });

  it('challenges stay one parseable header whatever the description holds', () => {
    expect(bearerChallenge({ error: 'invalid_token', errorDescription: 'a "quoted"\r\nX-Injected: 1' })).toBe(
      `Bearer error="invalid_token", error_description="a 'quoted' X-Injected: 1"`,
    );
  });
});
