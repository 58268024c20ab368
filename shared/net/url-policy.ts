import { isIP } from 'node:net';
import { UnsafeEndpointError } from '../errors';

/**
 * Where a rotator may send a credential. A secret's URL is data, and data can be tampered with: an
 * attacker who can edit the secret must not be able to make the function post a token to their host.
 *
 * - https only, with the host optionally restricted to an allow-list (Zoho's data centres);
 * - plain http (or any port on loopback) only when ALLOW_LOOPBACK_HTTP=true and the host is loopback
 *   (127.0.0.0/8, ::1, localhost): the one switch local tests and the demo use.
 */
export interface UrlPolicy {
  /** Names the URL in errors: "`verify_url`". */
  field: string;
  /** When given, the https host must pass this check. */
  allowHost?: (hostname: string) => boolean;
  /** Describes the allowed hosts in errors: "a Zoho accounts server". */
  allowedDescription?: string;
}

function loopbackHttpAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.ALLOW_LOOPBACK_HTTP === 'true';
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1';
  return false;
}

/** Parse and check a URL against the policy; returns the parsed URL or throws UnsafeEndpointError. */
export function checkUrl(raw: string, policy: UrlPolicy, env: NodeJS.ProcessEnv = process.env): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UnsafeEndpointError(`${policy.field} is not a valid URL`);
  }
  if (url.username || url.password) {
    throw new UnsafeEndpointError(`${policy.field} must not carry credentials in the URL`);
  }
  const loopback = isLoopbackHost(url.hostname);
  if (loopback && loopbackHttpAllowed(env) && (url.protocol === 'http:' || url.protocol === 'https:')) {
    return url;
  }
  if (url.protocol !== 'https:') {
    throw new UnsafeEndpointError(
      `${policy.field} must use https (plain http is allowed only for loopback hosts with ALLOW_LOOPBACK_HTTP=true)`,
    );
  }
  if (policy.allowHost && !policy.allowHost(url.hostname.toLowerCase())) {
    throw new UnsafeEndpointError(
      `${policy.field} host ${url.hostname} is not ${policy.allowedDescription ?? 'an allowed host'}`,
      { action: 'Check the secret value: a changed endpoint may mean it was tampered with.' },
    );
  }
  return url;
}
