import { describe, expect, it } from 'vitest';
import {
  addressRefusal,
  destinationPolicyFromEnv,
  parseHostPatterns,
} from '../../../shared/net/destination-policy';
import { checkUrl } from '../../../shared/net/url-policy';

const policy = { field: '`verify_url`' };

describe('ALLOWED_HOSTS patterns', () => {
  const hosts = parseHostPatterns('*.example.com, hooks.partner.io ,10.1.2.3,[fd12::5]');

  it.each([
    ['a.example.com', true],
    ['deep.a.example.com', true],
    ['A.EXAMPLE.COM', true],
    ['a.example.com.', true],
    ['example.com', false],
    ['evilexample.com', false],
    ['a.example.com.evil.io', false],
    ['hooks.partner.io', true],
    ['x.hooks.partner.io', false],
    ['10.1.2.3', true],
    ['[fd12::5]', true],
    ['10.1.2.4', false],
  ])('%s matches: %s', (host, expected) => {
    expect(hosts.matches(host)).toBe(expected);
  });

  it('matches internationalised names in their punycode form, as URL gives them', () => {
    const idn = parseHostPatterns('*.bücher.example');
    expect(idn.matches(new URL('https://shop.bücher.example/').hostname)).toBe(true);
  });

  it.each(['https://a.example.com', '*.', '*', 'a*.example.com', 'ex ample.com', '*.10.0.0.1', 'a/b'])(
    'refuses the malformed pattern %s, naming the variable',
    (pattern) => {
      expect(() => parseHostPatterns(pattern)).toThrow(/^ALLOWED_HOSTS: .* is not a host pattern/);
    },
  );

  it('with a list set, nothing else is reached', () => {
    const env = { ALLOWED_HOSTS: '*.example.com' };
    expect(checkUrl('https://hooks.example.com/v', policy, env).hostname).toBe('hooks.example.com');
    expect(() => checkUrl('https://attacker.io/v', policy, env)).toThrow(
      "`verify_url` host attacker.io is not in this function's ALLOWED_HOSTS (*.example.com)",
    );
  });

  it('replaces a kind’s default list (Zoho’s data centres) when set', () => {
    const zoho = { field: '`accounts_server`', allowHost: (h: string) => h === 'accounts.zoho.eu' };
    expect(() => checkUrl('https://gateway.corp.example', zoho, {})).toThrow(/is not an allowed host/);
    expect(
      checkUrl('https://gateway.corp.example', zoho, { ALLOWED_HOSTS: 'gateway.corp.example' }).host,
    ).toBe('gateway.corp.example');
  });

  it('an allowed literal in a private range still needs ALLOW_PRIVATE_DESTINATIONS', () => {
    expect(() => checkUrl('https://10.1.2.3/', policy, { ALLOWED_HOSTS: '10.1.2.3' })).toThrow(
      /a private address/,
    );
    expect(
      checkUrl('https://10.1.2.3/', policy, { ALLOWED_HOSTS: '10.1.2.3', ALLOW_PRIVATE_DESTINATIONS: 'true' })
        .host,
    ).toBe('10.1.2.3');
  });
});

describe('ALLOW_PRIVATE_DESTINATIONS', () => {
  it('true opens private, shared and unique-local ranges, nothing else', () => {
    const open = destinationPolicyFromEnv({ ALLOW_PRIVATE_DESTINATIONS: 'true' });
    for (const address of [
      '10.0.0.5',
      '172.20.1.1',
      '192.168.0.9',
      '100.64.0.1',
      'fd00::1',
      '::ffff:10.0.0.5',
    ]) {
      expect(addressRefusal(address, open)).toBeUndefined();
    }
    expect(addressRefusal('169.254.169.254', open)).toMatch(/metadata/);
    expect(addressRefusal('fd00:ec2::254', open)).toMatch(/metadata/);
    expect(addressRefusal('127.0.0.1', open)).toBe('a loopback address');
    expect(addressRefusal('169.254.1.1', open)).toBe('a link-local address');
    expect(addressRefusal('0.0.0.0', open)).toBe('an unspecified address');
  });

  it('CIDRs open only those ranges', () => {
    const some = destinationPolicyFromEnv({ ALLOW_PRIVATE_DESTINATIONS: '10.20.0.0/16, fd12:3456::/48' });
    expect(addressRefusal('10.20.5.5', some)).toBeUndefined();
    expect(addressRefusal('fd12:3456::9', some)).toBeUndefined();
    expect(addressRefusal('10.21.0.1', some)).toBe('a private address');
    expect(addressRefusal('192.168.1.1', some)).toBe('a private address');
  });

  it.each([
    '169.254.0.0/16',
    '0.0.0.0/0',
    '8.8.8.0/24',
    '::/0',
    'fd00:ec2::/32x',
    '10.0.0.0/33',
    '10.0.0.0/1',
    'fc00::/6',
    'nonsense',
  ])('refuses %s: only private ranges can be opened', (value) => {
    expect(() => destinationPolicyFromEnv({ ALLOW_PRIVATE_DESTINATIONS: value })).toThrow(
      /^ALLOW_PRIVATE_DESTINATIONS: /,
    );
  });

  it('false and unset keep everything private closed', () => {
    for (const value of [undefined, '', 'false']) {
      const env = value === undefined ? {} : { ALLOW_PRIVATE_DESTINATIONS: value };
      expect(addressRefusal('10.0.0.5', destinationPolicyFromEnv(env))).toBe('a private address');
    }
  });
});

describe('ALLOW_LOOPBACK_HTTP', () => {
  it('opens loopback only, not private ranges', () => {
    const local = destinationPolicyFromEnv({ ALLOW_LOOPBACK_HTTP: 'true' });
    expect(addressRefusal('127.0.0.1', local)).toBeUndefined();
    expect(addressRefusal('::1', local)).toBeUndefined();
    expect(addressRefusal('10.0.0.5', local)).toBe('a private address');
    expect(addressRefusal('169.254.169.254', local)).toMatch(/metadata/);
  });
});
