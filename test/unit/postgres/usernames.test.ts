import { describe, expect, it } from 'vitest';
import { alternateOf, userPair } from '../../../functions/postgres/usernames';
import { SecretFormatError } from '../../../shared/errors';

describe('alternating user names', () => {
  it('alternates between name and name_clone, as AWS multi-user functions do', () => {
    expect(alternateOf('crm_app')).toBe('crm_app_clone');
    expect(alternateOf('crm_app_clone')).toBe('crm_app');
    expect(userPair('Crm-App "x"_clone')).toEqual({ base: 'Crm-App "x"', clone: 'Crm-App "x"_clone' });
  });

  it('treats a bare "_clone" as a base name', () => {
    expect(alternateOf('_clone')).toBe('_clone_clone');
  });

  it('accepts a 57-byte base name and refuses a 58-byte one instead of truncating', () => {
    expect(alternateOf('a'.repeat(57))).toHaveLength(63);
    expect(() => alternateOf('a'.repeat(58))).toThrow(SecretFormatError);
    // 29 two-byte characters: 58 bytes.
    expect(() => alternateOf('é'.repeat(29))).toThrow(/at most 57 bytes/);
  });

  it('never needs to shorten a clone name: a valid clone name always maps back', () => {
    const clone = `${'a'.repeat(57)}_clone`;
    expect(alternateOf(clone)).toBe('a'.repeat(57));
  });
});
