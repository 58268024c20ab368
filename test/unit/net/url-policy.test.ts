import { describe, expect, it } from 'vitest';
import { checkUrl, isLoopbackHost } from '../../../shared/net/url-policy';

const policy = { field: '`verify_url`' };
const on = { ALLOW_LOOPBACK_HTTP: 'true' };
const off = {};

describe('checkUrl', () => {
  it('accepts https anywhere', () => {
    expect(checkUrl('https://hooks.example.com/verify', policy, off).host).toBe('hooks.example.com');
  });

  it('refuses plain http without the loopback switch, naming the field', () => {
    expect(() => checkUrl('http://127.0.0.1:8080/verify', policy, off)).toThrow(
      '`verify_url` must use https (plain http is allowed only for loopback hosts with ALLOW_LOOPBACK_HTTP=true)',
    );
  });

  it('allows http to loopback only with ALLOW_LOOPBACK_HTTP=true', () => {
    expect(checkUrl('http://127.0.0.1:8080/verify', policy, on).port).toBe('8080');
    expect(checkUrl('http://localhost:1/x', policy, on).hostname).toBe('localhost');
    expect(checkUrl('http://[::1]:9/x', policy, on).hostname).toBe('[::1]');
    expect(() => checkUrl('http://10.0.0.5/verify', policy, on)).toThrow(/must use https/);
    expect(() => checkUrl('http://127.0.0.1.evil.com/verify', policy, on)).toThrow(/must use https/);
  });

  it('applies the host allow-list to https URLs', () => {
    const zoho = {
      field: '`accounts_server`',
      allowHost: (h: string) => h === 'accounts.zoho.eu',
      allowedDescription: 'a Zoho accounts server',
    };
    expect(checkUrl('https://accounts.zoho.eu', zoho, off).hostname).toBe('accounts.zoho.eu');
    expect(() => checkUrl('https://evil.example', zoho, off)).toThrow(
      '`accounts_server` host evil.example is not a Zoho accounts server',
    );
  });

  it('refuses credentials in the URL and unparsable URLs', () => {
    expect(() => checkUrl('https://user:pw@example.com', policy, off)).toThrow(/must not carry credentials/);
    expect(() => checkUrl('not a url', policy, off)).toThrow('`verify_url` is not a valid URL');
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['[::1]', true],
    ['localhost', true],
    ['LOCALHOST', true],
    ['0.0.0.0', false],
    ['192.168.1.1', false],
    ['localhost.example.com', false],
    ['[::ffff:7f00:1]', true],
    ['[::ffff:a00:5]', false],
  ])('%s -> %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});
