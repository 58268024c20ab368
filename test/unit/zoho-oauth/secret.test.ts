import { describe, expect, it } from 'vitest';
import { hasAccessToken, parseZohoSecret } from '../../../functions/zoho-oauth/secret';
import { SecretFormatError } from '../../../shared/errors';

const ONBOARDING = {
  client_id: '1000.CLIENTID',
  client_secret: 'client-secret-value',
  refresh_token: '1000.refresh.token',
  accounts_server: 'https://accounts.zoho.eu',
};

/** ONBOARDING without some keys. */
function without(...keys: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(ONBOARDING).filter(([key]) => !keys.includes(key)));
}

describe('zoho-oauth secret format', () => {
  it('accepts an onboarding secret without an access token, and keeps unknown keys', () => {
    const parsed = parseZohoSecret({ ...ONBOARDING, owner: 'crm-team' });
    expect(parsed).toMatchObject({ owner: 'crm-team' });
    expect(hasAccessToken(parsed)).toBe(false);
  });

  it('recognises a complete token set', () => {
    const parsed = parseZohoSecret({
      ...ONBOARDING,
      api_domain: 'https://www.zohoapis.eu',
      access_token: '1000.access.token',
      token_type: 'Bearer',
      expires_at: '2026-05-01T10:00:00.000Z',
    });
    expect(hasAccessToken(parsed)).toBe(true);
  });

  it('accepts client_secret_arn instead of the client credentials', () => {
    const rest = without('client_secret', 'client_id');
    expect(() =>
      parseZohoSecret({
        ...rest,
        client_secret_arn: 'arn:aws:secretsmanager:eu-west-1:1:secret:zoho-client',
      }),
    ).not.toThrow();
  });

  it('names what is missing, never quoting a value', () => {
    const rest = without('client_secret', 'refresh_token');
    let error: unknown;
    try {
      parseZohoSecret({ ...rest, expires_at: 'tomorrow-ish client-secret-value' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SecretFormatError);
    const message = (error as Error).message;
    expect(message).toContain('`refresh_token` is required');
    expect(message).toContain('`expires_at` must be a valid datetime');
    expect(message).not.toContain('client-secret-value');
  });

  it('requires client credentials or client_secret_arn', () => {
    const rest = without('client_secret');
    expect(() => parseZohoSecret(rest)).toThrow(
      'must hold `client_id` and `client_secret`, or name the secret holding them in `client_secret_arn`',
    );
  });
});
