import { BlockList, isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { ConfigurationError } from '../errors';
import { type AddressClass, addCidr, CLASS_DESCRIPTIONS, classifyAddress } from './address-ranges';

/**
 * What the operator lets a function reach, read from its environment (template.yaml sets it per
 * function). A secret's JSON never widens it:
 *
 * - ALLOWED_HOSTS: comma-separated host patterns (`hooks.partner.io`, `*.example.com`). When set,
 *   no other host is reached.
 * - ALLOW_PRIVATE_DESTINATIONS: `true` for every private (10/8, 172.16/12, 192.168/16), shared
 *   (100.64/10) and unique-local (fc00::/7) address, or a comma-separated list of CIDRs within those
 *   ranges (`10.20.0.0/16,fd12:3456::/48`): a webhook inside a VPC is legitimate.
 * - ALLOW_LOOPBACK_HTTP: `true` lets loopback addresses (and plain http to them) through: the one
 *   switch local tests and the demo use.
 *
 * Link-local, metadata, unspecified, multicast, broadcast and reserved addresses are never reached.
 */
export interface DestinationPolicy {
  allowLoopback: boolean;
  /** 'none', 'all' private ranges, or only the operator's CIDRs. */
  privateRanges: 'none' | 'all' | BlockList;
  /** The operator's host patterns; undefined when ALLOWED_HOSTS is unset. */
  allowedHosts: HostPatterns | undefined;
}

/** Whether a refusal is one ALLOW_PRIVATE_DESTINATIONS could lift (for the error's advice). */
export function isPrivateRefusal(address: string): boolean {
  const found = classifyAddress(address);
  return found !== undefined && PRIVATE_CLASSES.has(found.class);
}

/** Classes ALLOW_PRIVATE_DESTINATIONS can open; the rest stay closed whatever the operator writes. */
const PRIVATE_CLASSES: ReadonlySet<AddressClass> = new Set(['private', 'shared', 'unique-local']);

export function destinationPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): DestinationPolicy {
  return {
    allowLoopback: env.ALLOW_LOOPBACK_HTTP === 'true',
    privateRanges: privateRangesFromEnv(env),
    allowedHosts: hostPatternsFromEnv(env),
  };
}

function privateRangesFromEnv(env: NodeJS.ProcessEnv): DestinationPolicy['privateRanges'] {
  const raw = env.ALLOW_PRIVATE_DESTINATIONS?.trim() ?? '';
  if (raw === '' || raw === 'false') return 'none';
  if (raw === 'true') return 'all';
  const list = new BlockList();
  for (const cidr of raw.split(',').map((part) => part.trim())) {
    const action =
      'Set ALLOW_PRIVATE_DESTINATIONS to true, false, or CIDRs within 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10 or fc00::/7.';
    try {
      addCidr(list, cidr);
    } catch (error) {
      throw new ConfigurationError(`ALLOW_PRIVATE_DESTINATIONS: ${(error as Error).message}`, { action });
    }
    if (!withinPrivateRange(cidr)) {
      throw new ConfigurationError(
        `ALLOW_PRIVATE_DESTINATIONS: ${cidr} is not within a private, shared or unique-local range`,
        { action },
      );
    }
  }
  return list;
}

/** The ranges ALLOW_PRIVATE_DESTINATIONS may open, with their prefix lengths. */
const PRIVATE_RANGES: ReadonlyArray<readonly [string, number]> = [
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['100.64.0.0', 10],
  ['fc00::', 7],
];

/** Whether a CIDR lies wholly inside one private range: its base inside, its prefix no shorter. */
function withinPrivateRange(cidr: string): boolean {
  const [base = '', bits] = cidr.trim().split('/');
  const family = isIP(base);
  const prefix = bits === undefined ? (family === 6 ? 128 : 32) : Number(bits);
  return PRIVATE_RANGES.some(([network, length]) => {
    if (isIP(network) !== family || prefix < length) return false;
    const range = new BlockList();
    range.addSubnet(network, length, family === 6 ? 'ipv6' : 'ipv4');
    return range.check(base, family === 6 ? 'ipv6' : 'ipv4');
  });
}

/**
 * Why `address` may not be reached under `policy` ("a link-local address"), or undefined when it
 * may. `address` is an IP literal.
 */
export function addressRefusal(address: string, policy: DestinationPolicy): string | undefined {
  const found = classifyAddress(address);
  if (!found) return undefined;
  if (found.class === 'loopback' && policy.allowLoopback) return undefined;
  if (PRIVATE_CLASSES.has(found.class) && privateAllowed(address, found.via, policy)) return undefined;
  const rule =
    found.class === 'metadata'
      ? `${isIP(found.via ?? address.replace(/^\[|\]$/g, '')) === 4 ? 'a link-local' : 'a unique-local'} address (the instance metadata service)`
      : CLASS_DESCRIPTIONS[found.class];
  return found.via ? `${rule} (it embeds ${found.via})` : rule;
}

function privateAllowed(address: string, via: string | undefined, policy: DestinationPolicy): boolean {
  const ranges = policy.privateRanges;
  if (ranges === 'none') return false;
  if (ranges === 'all') return true;
  const target = via ?? address.replace(/^\[|\]$/g, '');
  return ranges.check(target, isIP(target) === 6 ? 'ipv6' : 'ipv4');
}

/** The operator's ALLOWED_HOSTS: exact names or literals, and `*.suffix` wildcards. */
export interface HostPatterns {
  readonly patterns: readonly string[];
  matches(hostname: string): boolean;
}

/** Lower case, IDN as punycode (what URL gives), no trailing dot, no IPv6 brackets. */
export function normalizeHost(hostname: string): string {
  const bare = hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  if (isIP(bare) || /^[\x21-\x7e]*$/.test(bare)) return bare;
  // Only a non-ASCII name needs punycode; domainToASCII would also cut "a/b" down to "a".
  return domainToASCII(bare) || bare;
}

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

export function parseHostPatterns(raw: string, variable = 'ALLOWED_HOSTS'): HostPatterns {
  const patterns = raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const wildcard = part.startsWith('*.');
      const host = normalizeHost(wildcard ? part.slice(2) : part);
      const valid = isIP(host) ? !wildcard : host.split('.').every((label) => LABEL.test(label));
      if (!valid || host === '') {
        throw new ConfigurationError(
          `${variable}: ${part.slice(0, 100)} is not a host pattern (a name such as hooks.partner.io, a wildcard such as *.example.com, or an IP address)`,
          { action: `Fix ${variable} in the function's environment (template.yaml parameter).` },
        );
      }
      return wildcard ? `*.${host}` : host;
    });
  return {
    patterns,
    matches(hostname) {
      const host = normalizeHost(hostname);
      return patterns.some((pattern) =>
        pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) : host === pattern,
      );
    },
  };
}

function hostPatternsFromEnv(env: NodeJS.ProcessEnv): HostPatterns | undefined {
  const raw = env.ALLOWED_HOSTS?.trim() ?? '';
  if (raw === '') return undefined;
  return parseHostPatterns(raw);
}
