import { describe, expect, it } from 'vitest';
import { errorForBearerStatus } from '../../../shared/net/http-status';
import { describeChallenge, parseBearerChallenge } from '../../../shared/net/www-authenticate';
// Servers build challenges with the consumer package; rotators must read them back.
import { bearerChallenge } from '../../../packages/consumer/src/mcp/challenge';

describe('bearer challenges (RFC 6750)', () => {
  it('builds a header servers can send and clients can read back', () => {
    const header = bearerChallenge({
      realm: 'mcp',
      error: 'invalid_token',
      errorDescription: 'the token has expired',
    });
    expect(header).toBe(
      'Bearer realm="mcp", error="invalid_token", error_description="the token has expired"',
    );
    expect(parseBearerChallenge(header)).toEqual({
      realm: 'mcp',
      error: 'invalid_token',
      errorDescription: 'the token has expired',
    });
  });

  it('keeps a description with quotes or newlines inside one parseable header', () => {
    const header = bearerChallenge({
      error: 'invalid_token',
      errorDescription: 'bad "token"\r\nX-Injected: 1',
    });
    expect(header).not.toMatch(/[\r\n]/);
    expect(parseBearerChallenge(header)?.errorDescription).toBe("bad 'token' X-Injected: 1");
  });

  it('reads unquoted values, other schemes around it, and an array of headers', () => {
    expect(parseBearerChallenge('Basic realm="x", Bearer error=invalid_token, scope="a b"')).toEqual({
      error: 'invalid_token',
      scope: 'a b',
    });
    expect(parseBearerChallenge(['Basic realm="x"', 'Bearer error="insufficient_scope"'])).toEqual({
      error: 'insufficient_scope',
    });
    expect(parseBearerChallenge('Bearer')).toEqual({});
  });

  it('finds nothing without a Bearer challenge', () => {
    expect(parseBearerChallenge(undefined)).toBeUndefined();
    expect(parseBearerChallenge('Basic realm="x"')).toBeUndefined();
    expect(parseBearerChallenge('NotBearer error="x"')).toBeUndefined();
  });

  it('truncates a long description and drops control characters', () => {
    const parsed = parseBearerChallenge(`Bearer error_description="${'x'.repeat(500)}\u0007"`);
    expect(parsed?.errorDescription).toBe(`${'x'.repeat(200)}...`);
    expect(describeChallenge(parseBearerChallenge('Bearer error="e", error_description="d\u0000"'))).toBe(
      'e: d',
    );
  });
});

describe('errorForBearerStatus', () => {
  const at = (status: number, headers: Record<string, unknown> = {}, extra = {}) =>
    errorForBearerStatus({
      where: 'receiver at h',
      credential: 'the pending token',
      status,
      headers,
      ...extra,
    });

  it('passes any 2xx', () => {
    expect(at(200)).toBeUndefined();
    expect(at(204)).toBeUndefined();
  });

  it('names 401 a rejected credential, with the server reason and the given action', () => {
    const error = at(
      401,
      { 'www-authenticate': 'Bearer error="invalid_token", error_description="expired"' },
      {
        rejectedAction: 'do this',
      },
    );
    expect(error?.name).toBe('CredentialRejectedError');
    expect(error?.message).toBe('receiver at h refused the pending token: HTTP 401 (invalid_token: expired)');
    expect(error?.action).toBe('do this');
    expect(error?.retryable).toBe(false);
  });

  it('names 403 a permission problem, 429 rate limiting, 5xx a retryable target error, 3xx a refused redirect', () => {
    expect(at(403)?.name).toBe('PermissionDeniedError');
    expect(at(429)).toMatchObject({ name: 'RateLimitedError', retryable: true });
    expect(at(503)).toMatchObject({
      name: 'TargetError',
      retryable: true,
      message: 'receiver at h failed with HTTP 503',
    });
    expect(at(302)?.message).toContain('redirects are not followed');
    expect(at(404, {}, { detail: 'no such endpoint' })?.message).toBe(
      'receiver at h answered HTTP 404 (no such endpoint)',
    );
  });
});
