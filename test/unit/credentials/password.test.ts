import { describe, expect, it } from 'vitest';
import {
  allowedClasses,
  DEFAULT_PASSWORD_POLICY,
  generatePassword,
  passwordPolicyFromEnv,
  PUNCTUATION,
} from '../../../shared/credentials/password';

const policy = (overrides: Partial<typeof DEFAULT_PASSWORD_POLICY>) => ({
  ...DEFAULT_PASSWORD_POLICY,
  ...overrides,
});

describe('generatePassword', () => {
  it('has the configured length and one character of each included type, every time', () => {
    for (let i = 0; i < 200; i++) {
      const password = generatePassword(policy({ length: 12, excludeCharacters: '' }));
      expect(password).toHaveLength(12);
      expect(password).toMatch(/[a-z]/);
      expect(password).toMatch(/[A-Z]/);
      expect(password).toMatch(/[0-9]/);
      expect([...password].some((c) => PUNCTUATION.includes(c))).toBe(true);
    }
  });

  it('never uses an excluded character or an excluded type', () => {
    const p = policy({
      length: 64,
      excludeCharacters: 'abc/@',
      excludePunctuation: true,
      excludeNumbers: true,
    });
    for (let i = 0; i < 100; i++) {
      expect(generatePassword(p)).toMatch(/^[d-zA-Z]+$/);
    }
  });

  it('excludes / @ " \' and \\ by default, as AWS RDS rotation does', () => {
    const text = Array.from({ length: 200 }, () => generatePassword()).join('');
    expect(text).not.toMatch(/[/@"'\\]/);
  });

  it('draws from the whole alphabet (no character class starved)', () => {
    const seen = new Set(
      Array.from({ length: 300 }, () => generatePassword(policy({ excludeCharacters: '' }))).join(''),
    );
    expect(seen.size).toBe(26 + 26 + 10 + PUNCTUATION.length);
  });

  it('refuses a policy that leaves no character, or a length too short for the required types', () => {
    expect(() =>
      generatePassword(
        policy({
          excludeLowercase: true,
          excludeUppercase: true,
          excludeNumbers: true,
          excludePunctuation: true,
        }),
      ),
    ).toThrow('the password policy is invalid: it excludes every character');
    expect(() => generatePassword(policy({ length: 3 }))).toThrow(/too short to include each of 4/);
  });
});

describe('passwordPolicyFromEnv', () => {
  it('reads the knobs AWS rotation functions take', () => {
    expect(
      passwordPolicyFromEnv({
        PASSWORD_LENGTH: '40',
        EXCLUDE_CHARACTERS: ':;',
        EXCLUDE_NUMBERS: 'true',
        EXCLUDE_PUNCTUATION: 'TRUE',
        EXCLUDE_UPPERCASE: 'false',
        EXCLUDE_LOWERCASE: '0',
        REQUIRE_EACH_INCLUDED_TYPE: 'false',
      }),
    ).toEqual({
      length: 40,
      excludeCharacters: ':;',
      excludeNumbers: true,
      excludePunctuation: true,
      excludeUppercase: false,
      excludeLowercase: false,
      requireEachIncludedType: false,
    });
  });

  it('falls back to the defaults, and rejects nonsense with the variable named', () => {
    expect(passwordPolicyFromEnv({})).toEqual(DEFAULT_PASSWORD_POLICY);
    expect(() => passwordPolicyFromEnv({ PASSWORD_LENGTH: 'long' })).toThrow(
      'PASSWORD_LENGTH must be an integer between 12 and 4096',
    );
    expect(() => passwordPolicyFromEnv({ EXCLUDE_NUMBERS: 'maybe' })).toThrow(
      'EXCLUDE_NUMBERS must be true or false',
    );
  });

  it('drops a character class emptied by EXCLUDE_CHARACTERS', () => {
    expect(
      allowedClasses(policy({ excludeCharacters: '0123456789', excludePunctuation: true })),
    ).toHaveLength(2);
  });
});
