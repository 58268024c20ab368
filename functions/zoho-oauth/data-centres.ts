import { UnsafeEndpointError } from '../../shared/errors';
import { checkUrl, isLoopbackHost } from '../../shared/net/url-policy';
import { zohoDestinations } from './settings';

/**
 * Zoho's data centres: the accounts server that mints tokens and the API host that accepts them.
 * A token minted in one data centre works only in that one, and the two hosts do not always share
 * a suffix (Canada: accounts.zohocloud.ca, www.zohoapis.ca). Sources: Zoho Accounts "Multi DC
 * support" (US, EU, IN, AU, JP, CA, SA, UK) and Zoho CRM "Multi DC" (CN).
 */
export interface DataCentre {
  readonly location: string;
  readonly accountsHost: string;
  readonly apiHosts: readonly string[];
}

const zohoapis = (suffix: string) => [`www.zohoapis.${suffix}`, `zohoapis.${suffix}`];

export const DATA_CENTRES: readonly DataCentre[] = [
  { location: 'us', accountsHost: 'accounts.zoho.com', apiHosts: zohoapis('com') },
  { location: 'eu', accountsHost: 'accounts.zoho.eu', apiHosts: zohoapis('eu') },
  { location: 'in', accountsHost: 'accounts.zoho.in', apiHosts: zohoapis('in') },
  { location: 'au', accountsHost: 'accounts.zoho.com.au', apiHosts: zohoapis('com.au') },
  { location: 'jp', accountsHost: 'accounts.zoho.jp', apiHosts: zohoapis('jp') },
  { location: 'cn', accountsHost: 'accounts.zoho.com.cn', apiHosts: zohoapis('com.cn') },
  { location: 'ca', accountsHost: 'accounts.zohocloud.ca', apiHosts: zohoapis('ca') },
  { location: 'sa', accountsHost: 'accounts.zoho.sa', apiHosts: zohoapis('sa') },
  { location: 'uk', accountsHost: 'accounts.zoho.uk', apiHosts: zohoapis('uk') },
];

const byAccountsHost = new Map(DATA_CENTRES.map((dc) => [dc.accountsHost, dc]));
const byApiHost = new Map(DATA_CENTRES.flatMap((dc) => dc.apiHosts.map((host) => [host, dc] as const)));

/**
 * The Zoho endpoints of one secret, checked: both https hosts of the same data centre, or both on
 * loopback when ALLOW_LOOPBACK_HTTP=true (local tests and the demo). Anything else is refused
 * before a single request is made, so a tampered secret cannot send the refresh token elsewhere.
 */
export interface ZohoEndpoints {
  accountsServer: URL;
  apiDomain: URL;
  /** Data-centre location ('eu'...), or 'loopback'. For the audit line. */
  location: string;
}

export function checkAccountsServer(raw: string, field = '`accounts_server`'): URL {
  return origin(
    checkUrl(raw, {
      field,
      destinations: zohoDestinations(),
      allowHost: (host) => byAccountsHost.has(host),
      allowedDescription: `a Zoho accounts server (${DATA_CENTRES.map((dc) => dc.accountsHost).join(', ')})`,
    }),
    field,
  );
}

export function checkApiDomain(raw: string, field = '`api_domain`'): URL {
  return origin(
    checkUrl(raw, {
      field,
      destinations: zohoDestinations(),
      allowHost: (host) => byApiHost.has(host),
      allowedDescription: 'a Zoho API domain (www.zohoapis.<data centre>)',
    }),
    field,
  );
}

/** Check both hosts and that they belong together. `apiField` names where the API domain came from. */
export function checkEndpoints(
  accountsServer: string,
  apiDomain: string,
  apiField = '`api_domain`',
): ZohoEndpoints {
  const accounts = checkAccountsServer(accountsServer);
  const api = checkApiDomain(apiDomain, apiField);
  const accountsLoopback = isLoopbackHost(accounts.hostname);
  const apiLoopback = isLoopbackHost(api.hostname);
  if (accountsLoopback || apiLoopback) {
    if (accountsLoopback && apiLoopback)
      return { accountsServer: accounts, apiDomain: api, location: 'loopback' };
    throw new UnsafeEndpointError(
      `${apiField} and \`accounts_server\` must both be Zoho hosts or both be loopback test servers`,
      { action: 'Check the secret value: a changed endpoint may mean it was tampered with.' },
    );
  }
  const dc = byAccountsHost.get(accounts.hostname.toLowerCase());
  const apiDc = byApiHost.get(api.hostname.toLowerCase());
  // Hosts outside Zoho's list got here only through the operator's ALLOWED_HOSTS (a gateway of the
  // estate's own): the data-centre pairing cannot be checked for them.
  if ((!dc || !apiDc) && zohoDestinations().allowedHosts) {
    return { accountsServer: accounts, apiDomain: api, location: dc?.location ?? 'allowed-host' };
  }
  if (!dc || apiDc !== dc) {
    throw new UnsafeEndpointError(
      `${apiField} host ${api.hostname} is not the API domain of the data centre of \`accounts_server\` ` +
        `(${accounts.hostname}): a token minted there works only at ${dc?.apiHosts[0] ?? 'its own API domain'}`,
      { action: 'Check the secret value: both hosts must belong to the Zoho data centre of the account.' },
    );
  }
  return { accountsServer: accounts, apiDomain: api, location: dc.location };
}

/**
 * Zoho's hosts are used as origins (scheme, host, port): a path, query or fragment in the secret
 * would change which endpoint the token goes to, so it is refused rather than silently dropped.
 */
function origin(url: URL, field: string): URL {
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    throw new UnsafeEndpointError(
      `${field} must be a bare origin such as https://accounts.zoho.eu (no path or query)`,
    );
  }
  return new URL(url.origin);
}

/** An endpoint path on a checked origin. */
export function endpoint(base: URL, path: string): URL {
  return new URL(path, base);
}
