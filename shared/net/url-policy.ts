import { isIP } from 'node:net';
import { UnsafeEndpointError } from '../errors';
import { classifyAddress } from './address-ranges';
import {
  addressRefusal,
  type DestinationPolicy,
  destinationPolicyFromEnv,
  isPrivateRefusal,
} from './destination-policy';
import { DestinationRefusal, resolveChecked } from './pinned-lookup';

/**
 * Where a rotator may send a credential. A secret's URL is data, and data can be tampered with: an
 * attacker who can edit the secret must not be able to make the function post a token to their host.
 *
 * - https only; plain http only to a loopback host with ALLOW_LOOPBACK_HTTP=true;
 * - an IP literal (WHATWG URL has already turned 2852039166, 0xA9FEA9FE and 0251.0376.0251.0376 into
 *   169.254.169.254) is checked against the address ranges here; a name is checked again, on every
 *   address it resolves to, by the socket's pinned lookup when the request is made;
 * - the operator's ALLOWED_HOSTS, when set, is the only list of hosts; otherwise the kind's own
 *   list (Zoho's data centres), when it has one.
 */
export interface UrlPolicy {
  /** Names the URL in errors: "`verify_url`". */
  field: string;
  /** The kind's default hosts, used when the operator set no ALLOWED_HOSTS. */
  allowHost?: (hostname: string) => boolean;
  /** Describes the kind's default hosts in errors: "a Zoho accounts server". */
  allowedDescription?: string;
  /** The function's destination policy (its settings.ts); read from the environment when absent. */
  destinations?: DestinationPolicy;
}

const TAMPER_ACTION = 'Check the secret value: a changed endpoint may mean it was tampered with.';

/** localhost, 127.0.0.0/8, ::1, or an IPv6 form of a 127/8 address (::ffff:127.0.0.1). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  if (host === 'localhost') return true;
  return isIP(host) !== 0 && classifyAddress(host)?.class === 'loopback';
}

/** The refusal of an address, with the advice that fits it. */
export function refusedAddress(
  field: string,
  what: string,
  address: string,
  rule: string,
): UnsafeEndpointError {
  const action = isPrivateRefusal(address)
    ? `${TAMPER_ACTION} If the endpoint really is inside your network, allow it with ALLOW_PRIVATE_DESTINATIONS (docs/security.md).`
    : TAMPER_ACTION;
  return new UnsafeEndpointError(`${field} ${what} ${address}, ${rule}; no credential is sent there`, {
    action,
  });
}

/**
 * The checks that need no DNS, on a parsed URL: scheme, credentials in the URL, an IP literal's
 * range, the operator's allow-list. httpRequest runs them again before every request.
 */
export function checkDestination(
  url: URL,
  field: string,
  policy: DestinationPolicy = destinationPolicyFromEnv(),
): void {
  if (url.username || url.password) {
    throw new UnsafeEndpointError(`${field} must not carry credentials in the URL`);
  }
  const loopback = isLoopbackHost(url.hostname);
  const httpAllowed = loopback && policy.allowLoopback && url.protocol === 'http:';
  if (url.protocol !== 'https:' && !httpAllowed) {
    throw new UnsafeEndpointError(
      `${field} must use https (plain http is allowed only for loopback hosts with ALLOW_LOOPBACK_HTTP=true)`,
    );
  }
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(literal)) {
    const rule = addressRefusal(literal, policy);
    if (rule) throw refusedAddress(field, 'points at', literal, rule);
  }
  if (policy.allowedHosts && !policy.allowedHosts.matches(url.hostname)) {
    throw new UnsafeEndpointError(
      `${field} host ${url.hostname} is not in this function's ALLOWED_HOSTS (${policy.allowedHosts.patterns.join(', ')})`,
      { action: `${TAMPER_ACTION} A new legitimate host is added to the function's allow-list parameter.` },
    );
  }
}

/** Parse and check a URL against the policy; returns the parsed URL or throws UnsafeEndpointError. */
export function checkUrl(raw: string, policy: UrlPolicy, env: NodeJS.ProcessEnv = process.env): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UnsafeEndpointError(`${policy.field} is not a valid URL`);
  }
  const destinations = policy.destinations ?? destinationPolicyFromEnv(env);
  checkDestination(url, policy.field, destinations);
  const loopbackTest = destinations.allowLoopback && isLoopbackHost(url.hostname);
  if (
    !destinations.allowedHosts &&
    !loopbackTest &&
    policy.allowHost &&
    !policy.allowHost(url.hostname.toLowerCase())
  ) {
    throw new UnsafeEndpointError(
      `${policy.field} host ${url.hostname} is not ${policy.allowedDescription ?? 'an allowed host'}`,
      { action: TAMPER_ACTION },
    );
  }
  return url;
}

/**
 * Resolve a checked URL's host now and refuse it if any address it resolves to is refused, so a
 * createSecret refuses before a pending version is stored. A name that does not resolve yet is left
 * to the request itself (which checks again at connect time): DNS trouble is not tampering.
 */
export async function checkResolvedUrl(url: URL, field: string): Promise<void> {
  if (isIP(url.hostname.replace(/^\[|\]$/g, ''))) return;
  try {
    await resolveChecked(url.hostname);
  } catch (error) {
    if (error instanceof DestinationRefusal) {
      throw refusedAddress(field, `host ${error.hostname} resolves to`, error.address, error.rule);
    }
    if (error instanceof Error && error.name === 'ConfigurationError') throw error;
  }
}
