import { afterEach, describe, expect, it } from 'vitest';
import {
  DATA_CENTRES,
  checkAccountsServer,
  checkEndpoints,
} from '../../../functions/zoho-oauth/data-centres';
import { UnsafeEndpointError } from '../../../shared/errors';

const loopbackSetting = process.env.ALLOW_LOOPBACK_HTTP;
afterEach(() => {
  process.env.ALLOW_LOOPBACK_HTTP = loopbackSetting;
});

describe('Zoho data centre allow-list', () => {
  it.each(DATA_CENTRES.map((dc) => [dc.location, dc.accountsHost, dc.apiHosts[0]]))(
    'accepts the %s pair %s + %s',
    (location, accounts, api) => {
      const endpoints = checkEndpoints(`https://${accounts}`, `https://${api}`);
      expect(endpoints.location).toBe(location);
      expect(endpoints.accountsServer.href).toBe(`https://${accounts}/`);
    },
  );

  it('knows the documented hosts, Canada included', () => {
    expect(DATA_CENTRES.map((dc) => dc.accountsHost)).toEqual(
      expect.arrayContaining([
        'accounts.zoho.com',
        'accounts.zoho.eu',
        'accounts.zoho.in',
        'accounts.zoho.com.au',
        'accounts.zoho.jp',
        'accounts.zoho.com.cn',
        'accounts.zohocloud.ca',
        'accounts.zoho.sa',
      ]),
    );
    expect(checkEndpoints('https://accounts.zohocloud.ca', 'https://www.zohoapis.ca').location).toBe('ca');
    expect(checkEndpoints('https://ACCOUNTS.ZOHO.EU/', 'https://zohoapis.eu').location).toBe('eu');
  });

  it.each([
    ['https://accounts.zoho.eu.attacker.example', 'is not a Zoho accounts server'],
    ['https://attacker.example', 'is not a Zoho accounts server'],
    ['https://accounts.zoho.com@attacker.example', 'must not carry credentials'],
    ['https://user:pw@accounts.zoho.com', 'must not carry credentials'],
    ['http://accounts.zoho.com', 'must use https'],
    ['ftp://accounts.zoho.com', 'must use https'],
    ['https://accounts.zoho.com/oauth/v2/token', 'must be a bare origin'],
    ['https://accounts.zoho.com/?next=https://attacker.example', 'must be a bare origin'],
    ['not a url', 'is not a valid URL'],
  ])('refuses accounts_server %s', (raw, message) => {
    expect(() => checkAccountsServer(raw)).toThrow(UnsafeEndpointError);
    expect(() => checkAccountsServer(raw)).toThrow(message);
  });

  it('refuses an api_domain of another data centre than accounts_server', () => {
    expect(() => checkEndpoints('https://accounts.zoho.eu', 'https://www.zohoapis.com')).toThrow(
      'is not the API domain of the data centre of `accounts_server` (accounts.zoho.eu)',
    );
  });

  it('refuses an api_domain that is not Zoho', () => {
    expect(() =>
      checkEndpoints('https://accounts.zoho.eu', 'https://www.zohoapis.eu.attacker.example'),
    ).toThrow('is not a Zoho API domain');
  });

  it('allows loopback http only with ALLOW_LOOPBACK_HTTP=true, and only for both hosts', () => {
    process.env.ALLOW_LOOPBACK_HTTP = 'true';
    expect(checkEndpoints('http://127.0.0.1:4000', 'http://127.0.0.1:4000').location).toBe('loopback');
    expect(() => checkEndpoints('http://127.0.0.1:4000', 'https://www.zohoapis.com')).toThrow(
      'must both be Zoho hosts or both be loopback',
    );
    process.env.ALLOW_LOOPBACK_HTTP = 'false';
    expect(() => checkEndpoints('http://127.0.0.1:4000', 'http://127.0.0.1:4000')).toThrow('must use https');
  });
});

describe('the operator’s ZohoAllowedHosts (ALLOWED_HOSTS)', () => {
  afterEach(() => {
    delete process.env.ALLOWED_HOSTS;
  });

  it('replaces the data-centre list: a gateway of the estate’s own is reached, Zoho itself no longer', () => {
    process.env.ALLOW_LOOPBACK_HTTP = '';
    process.env.ALLOWED_HOSTS = 'zoho-gw.corp.example';
    expect(checkEndpoints('https://zoho-gw.corp.example', 'https://zoho-gw.corp.example')).toMatchObject({
      location: 'allowed-host',
    });
    expect(() => checkAccountsServer('https://accounts.zoho.eu')).toThrow(
      "`accounts_server` host accounts.zoho.eu is not in this function's ALLOWED_HOSTS (zoho-gw.corp.example)",
    );
  });

  it('still pairs data centres when both listed hosts are Zoho’s', () => {
    process.env.ALLOW_LOOPBACK_HTTP = '';
    process.env.ALLOWED_HOSTS = '*.zoho.eu,*.zohoapis.com';
    expect(() => checkEndpoints('https://accounts.zoho.eu', 'https://www.zohoapis.com')).toThrow(
      /is not the API domain of the data centre/,
    );
  });

  it('refuses a metadata address whatever the lists say', () => {
    process.env.ALLOW_LOOPBACK_HTTP = '';
    process.env.ALLOWED_HOSTS = '169.254.169.254';
    expect(() => checkAccountsServer('https://169.254.169.254')).toThrow(UnsafeEndpointError);
  });
});
