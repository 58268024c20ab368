import { describe, expect, it } from 'vitest';
import { classifyAddress, embeddedIpv4 } from '../../../shared/net/address-ranges';
import { checkUrl } from '../../../shared/net/url-policy';

const policy = { field: '`verify_url`' };

describe('classifyAddress', () => {
  it.each([
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['169.254.1.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['10.0.0.5', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'shared'],
    ['100.127.255.255', 'shared'],
    ['fc00::1', 'unique-local'],
    ['fd00::1', 'unique-local'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.10', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'reserved'],
    ['64:ff9b:1::1', 'reserved'],
    ['3fff::1', 'reserved'],
    ['4000::1', 'reserved'],
  ])('%s is %s', (address, expected) => {
    expect(classifyAddress(address)?.class).toBe(expected);
  });

  it.each([
    ['::ffff:169.254.169.254', 'metadata', '169.254.169.254'],
    ['::ffff:a9fe:a9fe', 'metadata', '169.254.169.254'],
    ['0:0:0:0:0:ffff:7f00:1', 'loopback', '127.0.0.1'],
    ['::ffff:0:a00:5', 'private', '10.0.0.5'],
    ['64:ff9b::a9fe:a9fe', 'metadata', '169.254.169.254'],
    ['64:ff9b::10.0.0.5', 'private', '10.0.0.5'],
    ['2002:a9fe:a9fe::1', 'metadata', '169.254.169.254'],
    ['2002:7f00:1::', 'loopback', '127.0.0.1'],
    ['::7f00:1', 'loopback', '127.0.0.1'],
  ])('%s embeds an IPv4 address and is classified by it (%s)', (address, expected, via) => {
    expect(classifyAddress(address)).toEqual({ class: expected, via });
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700:4700::1111',
    '64:ff9b::8.8.8.8',
    '2002:808:808::1',
  ])('%s is public', (address) => {
    expect(classifyAddress(address)).toBeUndefined();
  });

  it('reads the IPv4 address inside each IPv6 embedding', () => {
    expect(embeddedIpv4('::ffff:1.2.3.4')).toBe('1.2.3.4');
    expect(embeddedIpv4('2002:0102:0304::')).toBe('1.2.3.4');
    expect(embeddedIpv4('2606:4700::1')).toBeUndefined();
    expect(embeddedIpv4('::1')).toBeUndefined();
  });
});

describe('IP literals in every spelling, in a URL', () => {
  it.each([
    'https://169.254.169.254/latest/meta-data/',
    'https://2852039166/',
    'https://0xA9FEA9FE/',
    'https://0251.0376.0251.0376/',
    'https://169.254.43518/',
    'https://0xa9.0xfe.0xa9.0xfe/',
    'https://[::ffff:169.254.169.254]/',
    'https://[::ffff:a9fe:a9fe]/',
    'https://[64:ff9b::a9fe:a9fe]/',
    'https://[2002:a9fe:a9fe::]/',
    'https://%31%36%39.254.169.254/',
    'https://１６９.２５４.１６９.２５４/',
  ])('%s is refused as the metadata service', (url) => {
    expect(() => checkUrl(url, policy, {})).toThrow(
      /`verify_url` points at .*link-local address \(the instance metadata service\)/,
    );
  });

  it.each([
    ['https://10.0.0.5/', 'a private address'],
    ['https://[fd00::1]/', 'a unique-local IPv6 address'],
    ['https://0.0.0.0/', 'an unspecified address'],
    ['https://0/', 'an unspecified address'],
    ['https://[::]/', 'an unspecified address'],
    ['https://127.0.0.1/', 'a loopback address'],
    ['https://0x7f.1/', 'a loopback address'],
    ['https://[::1]/', 'a loopback address'],
    ['https://224.0.0.1/', 'a multicast address'],
    ['https://[ff02::1]/', 'a multicast address'],
    ['https://255.255.255.255/', 'the broadcast address'],
    ['https://240.1.2.3/', 'a reserved or special-purpose address'],
    ['https://100.64.1.1/', 'a shared (carrier-grade NAT) address'],
    ['https://[fe80::1]/', 'a link-local address'],
  ])('%s is refused: %s', (url, rule) => {
    expect(() => checkUrl(url, policy, {})).toThrow(rule);
  });

  it('says the refusal is not retryable and what to check', () => {
    try {
      checkUrl('https://10.0.0.5/hook', policy, {});
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({
        name: 'UnsafeEndpointError',
        retryable: false,
        message: '`verify_url` points at 10.0.0.5, a private address; no credential is sent there',
        action: expect.stringContaining('ALLOW_PRIVATE_DESTINATIONS'),
      });
    }
  });
});
