import { describe, expect, it } from 'vitest';
import { AccessTokenRejectedError, crmError, tokenError } from '../../../functions/zoho-oauth/errors';
import {
  CredentialRejectedError,
  PermissionDeniedError,
  RateLimitedError,
  TargetError,
} from '../../../shared/errors';

const request = {
  accountsServer: new URL('https://accounts.zoho.eu'),
  client: { clientId: 'id', clientSecret: 'secret', source: 'secret' as const },
};
const api = new URL('https://www.zohoapis.eu');

describe('Zoho token endpoint errors', () => {
  it.each([
    [400, { error: 'Access Denied', error_description: 'You have made too many requests continuously.' }],
    [200, { error: 'Access Denied', error_description: 'You have made too many requests continuously.' }],
    [400, { error: 'access denied' }],
    [429, {}],
  ])('HTTP %i %j is a retryable RateLimitedError', (status, body) => {
    const error = tokenError(status, body, request);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('10 access tokens per refresh token in 10 minutes');
  });

  it('invalid_code is not retryable and tells a person how to make a new grant', () => {
    const error = tokenError(200, { error: 'invalid_code' }, request);
    expect(error).toBeInstanceOf(CredentialRejectedError);
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('refused the refresh token (invalid_code)');
    expect(error.action).toContain('A person must create a new grant');
    expect(error.action).toContain('https://api-console.zoho.eu');
    expect(error.action).toContain('grant_type=authorization_code');
  });

  it('names invalid_client and invalid_client_secret, and where to fix them', () => {
    expect(tokenError(200, { error: 'invalid_client' }, request).message).toContain(
      'does not know the client_id',
    );
    const viaArn = tokenError(
      200,
      { error: 'invalid_client_secret' },
      {
        ...request,
        client: { ...request.client, source: 'client_secret_arn' },
      },
    );
    expect(viaArn.message).toContain('refused the client_secret');
    expect(viaArn.action).toContain('the secret named by client_secret_arn');
  });

  it('reports an unknown code without repeating anything that is not a plain code', () => {
    const known = tokenError(200, { error: 'invalid_scope' }, request);
    expect(known).toBeInstanceOf(TargetError);
    expect(known.message).toContain('error "invalid_scope"');
    const odd = tokenError(200, { error: '1000.abcdef.123456 leaked?' }, request);
    expect(odd.message).not.toContain('1000.abcdef');
    expect(tokenError(503, {}, request).retryable).toBe(true);
  });
});

describe('Zoho CRM errors', () => {
  it('INVALID_TOKEN is a typed, non-retryable rejection', () => {
    const error = crmError(401, 'INVALID_TOKEN', api, 'pending');
    expect(error).toBeInstanceOf(AccessTokenRejectedError);
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('refused the pending access token (INVALID_TOKEN)');
  });

  it('OAUTH_SCOPE_MISMATCH asks for the users scope', () => {
    const error = crmError(401, 'OAUTH_SCOPE_MISMATCH', api, 'pending');
    expect(error).toBeInstanceOf(PermissionDeniedError);
    expect(error.action).toContain('ZohoCRM.users.READ');
  });

  it('AUTHENTICATION_FAILURE is retryable; throttling is RateLimited; 5xx is a retryable TargetError', () => {
    expect(crmError(401, 'AUTHENTICATION_FAILURE', api, 'pending').retryable).toBe(true);
    expect(crmError(429, undefined, api, 'pending')).toBeInstanceOf(RateLimitedError);
    expect(crmError(400, 'TOO_MANY_REQUESTS', api, 'pending')).toBeInstanceOf(RateLimitedError);
    const down = crmError(502, undefined, api, 'pending');
    expect(down).toBeInstanceOf(TargetError);
    expect(down.retryable).toBe(true);
  });
});
