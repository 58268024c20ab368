import { describe, expect, it } from 'vitest';
import { constantTimeEqual } from '../../../shared/credentials/compare';
import { generateToken } from '../../../shared/credentials/token';

describe('generateToken', () => {
  it('is a readable prefix and 256 random bits in base64url', () => {
    const token = generateToken('whk');
    expect(token).toMatch(/^whk_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token.slice(4), 'base64url')).toHaveLength(32);
  });

  it('never repeats', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => generateToken('mcp')));
    expect(tokens.size).toBe(1000);
  });

  it('rejects a prefix that would make tokens ambiguous', () => {
    expect(() => generateToken('Bad Prefix')).toThrow(/token prefix/);
  });
});

describe('constantTimeEqual', () => {
  it('compares strings of any lengths without throwing', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcdef')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
  });
});
