import { describe, expect, it } from 'vitest';
import { TokenLifetimeConfigError } from '../../../functions/mcp-token/errors';
import { tokenLifetimeFromEnv } from '../../../functions/mcp-token/settings';
import { PasswordPolicyError, passwordPolicyFromEnv } from '../../../shared/credentials/password';
import { ConfigurationError } from '../../../shared/errors';

/**
 * Every number in a function's environment is read by numberFromEnv: the password length and the
 * MCP token lifetime follow the same notation rules as the timeouts, and fail as ConfigurationErrors
 * under their own names.
 */
describe('one reader for environment numbers', () => {
  it.each(['0x20', '0b100000', '1e1000', '32 chars'])('refuses PASSWORD_LENGTH=%j', (raw) => {
    const read = () => passwordPolicyFromEnv({ PASSWORD_LENGTH: raw });
    expect(read).toThrow(PasswordPolicyError);
    expect(read).toThrow('PASSWORD_LENGTH must be an integer between 12 and 4096');
  });

  it('treats a blank PASSWORD_LENGTH as unset, and reads padded decimals', () => {
    expect(passwordPolicyFromEnv({ PASSWORD_LENGTH: ' ' }).length).toBe(32);
    expect(passwordPolicyFromEnv({ PASSWORD_LENGTH: ' 40 ' }).length).toBe(40);
  });

  it.each(['0x1e', '0b11', '30 days'])('refuses MCP_TOKEN_LIFETIME_DAYS=%j', (raw) => {
    expect(() => tokenLifetimeFromEnv({ MCP_TOKEN_LIFETIME_DAYS: raw })).toThrow(
      expect.objectContaining({
        name: 'TokenLifetimeConfigError',
        message: 'MCP_TOKEN_LIFETIME_DAYS must be a whole number of days between 1 and 3650',
      }),
    );
  });

  it('treats a blank MCP_TOKEN_GRACE_DAYS as unset instead of zero days', () => {
    expect(tokenLifetimeFromEnv({ MCP_TOKEN_GRACE_DAYS: ' ' }).graceDays).toBe(7);
  });

  it('makes every configuration error a ConfigurationError', () => {
    expect(new TokenLifetimeConfigError('x')).toBeInstanceOf(ConfigurationError);
    expect(new PasswordPolicyError('x')).toBeInstanceOf(ConfigurationError);
  });
});
