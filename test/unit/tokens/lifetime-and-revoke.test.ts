import { SecretsManagerClient, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { expiresAt, tokenLifetimeFromEnv } from '../../../functions/mcp-token/settings';
import { holdsToken, retirePreviousVersion } from '../../../shared/secrets/retire-previous';
import { clearVersionCache } from '../../../shared/secrets/version-cache';
import { CURRENT_ID, mockSecret, PREVIOUS_ID, SECRET_ARN } from '../../support/mock-secrets';

describe('MCP token lifetime', () => {
  it('defaults to 30 days of rotation interval plus 7 of grace', () => {
    expect(tokenLifetimeFromEnv({})).toEqual({ lifetimeDays: 30, graceDays: 7 });
    expect(expiresAt({ lifetimeDays: 30, graceDays: 7 }, new Date('2026-01-01T00:00:00Z'))).toBe(
      '2026-02-07T00:00:00.000Z',
    );
  });

  it('reads MCP_TOKEN_LIFETIME_DAYS and MCP_TOKEN_GRACE_DAYS; grace may be zero', () => {
    expect(tokenLifetimeFromEnv({ MCP_TOKEN_LIFETIME_DAYS: '90', MCP_TOKEN_GRACE_DAYS: '0' })).toEqual({
      lifetimeDays: 90,
      graceDays: 0,
    });
  });

  it.each([
    ['MCP_TOKEN_LIFETIME_DAYS', '0'],
    ['MCP_TOKEN_LIFETIME_DAYS', '1.5'],
    ['MCP_TOKEN_LIFETIME_DAYS', 'thirty'],
    ['MCP_TOKEN_GRACE_DAYS', '-1'],
    ['MCP_TOKEN_GRACE_DAYS', '4000'],
  ])('refuses %s=%s with a message naming it', (name, value) => {
    expect(() => tokenLifetimeFromEnv({ [name]: value })).toThrow(
      expect.objectContaining({ name: 'TokenLifetimeConfigError', message: expect.stringContaining(name) }),
    );
  });
});

describe('holdsToken (revoke only the version that holds the revoked token)', () => {
  it('matches the token field of the version JSON only', () => {
    const check = holdsToken('whk_abc');
    expect(check('{"token":"whk_abc","verify_url":"https://x"}')).toBe(true);
    expect(check('{"token":"whk_abcd"}')).toBe(false);
    expect(check('{"other":"whk_abc"}')).toBe(false);
    expect(check('not json whk_abc')).toBe(false);
    expect(check('null')).toBe(false);
  });
});

describe('retirePreviousVersion', () => {
  const sm = mockClient(SecretsManagerClient);
  beforeEach(() => {
    sm.reset();
    clearVersionCache();
    mockSecret(sm, {
      versions: { [CURRENT_ID]: ['AWSCURRENT'], [PREVIOUS_ID]: ['AWSPREVIOUS'] },
      values: { [CURRENT_ID]: '{"token":"tok-current"}', [PREVIOUS_ID]: '{"token":"tok-previous"}' },
    });
    sm.on(UpdateSecretVersionStageCommand).resolves({});
  });

  it('takes AWSPREVIOUS off the version holding the revoked token', async () => {
    expect(await retirePreviousVersion(SECRET_ARN, holdsToken('tok-previous'))).toBe(PREVIOUS_ID);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)[0]?.args[0].input).toEqual({
      SecretId: SECRET_ARN,
      VersionStage: 'AWSPREVIOUS',
      RemoveFromVersionId: PREVIOUS_ID,
    });
  });

  it('changes nothing when AWSPREVIOUS moved to another token meanwhile', async () => {
    await expect(retirePreviousVersion(SECRET_ARN, holdsToken('tok-older'))).rejects.toThrow(
      `AWSPREVIOUS moved to version ${PREVIOUS_ID} while revoking; nothing was changed`,
    );
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
  });
});
