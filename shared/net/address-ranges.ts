import { BlockList, isIP } from 'node:net';

/**
 * Which addresses an outbound call must not reach on its own, and why. An address is classified by
 * the first range that holds it; an IPv6 address that embeds an IPv4 one (IPv4-mapped, NAT64, 6to4,
 * IPv4-compatible) is classified by the IPv4 address it leads to, since that is where packets go.
 */
export type AddressClass =
  | 'metadata'
  | 'loopback'
  | 'private'
  | 'shared'
  | 'unique-local'
  | 'link-local'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'reserved';

/** How each class reads in a refusal: "169.254.169.254, a link-local address". */
export const CLASS_DESCRIPTIONS: Readonly<Record<AddressClass, string>> = {
  metadata: 'an instance metadata service address',
  loopback: 'a loopback address',
  private: 'a private address',
  shared: 'a shared (carrier-grade NAT) address',
  'unique-local': 'a unique-local IPv6 address',
  'link-local': 'a link-local address',
  unspecified: 'an unspecified address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  reserved: 'a reserved or special-purpose address',
};

type Rule = readonly [AddressClass, readonly string[]];

/**
 * In order: the first match wins, so the metadata hosts (inside link-local and unique-local) and the
 * broadcast address (inside 240/4) come before their wider ranges. Sources: IANA's IPv4 and IPv6
 * special-purpose address registries; AWS's IMDS (169.254.169.254, fd00:ec2::254), ECS task
 * metadata (169.254.170.2) and EKS pod identity (169.254.170.23, fd00:ec2::23) endpoints.
 */
const RULES: readonly Rule[] = [
  [
    'metadata',
    ['169.254.169.254/32', '169.254.170.2/32', '169.254.170.23/32', 'fd00:ec2::254/128', 'fd00:ec2::23/128'],
  ],
  ['unspecified', ['0.0.0.0/8', '::/128']],
  ['loopback', ['127.0.0.0/8', '::1/128']],
  ['private', ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']],
  ['shared', ['100.64.0.0/10']],
  ['link-local', ['169.254.0.0/16', 'fe80::/10']],
  ['unique-local', ['fc00::/7']],
  ['multicast', ['224.0.0.0/4', 'ff00::/8']],
  ['broadcast', ['255.255.255.255/32']],
  [
    'reserved',
    [
      '192.0.0.0/24', // IETF protocol assignments
      '192.0.2.0/24', // documentation (TEST-NET-1)
      '192.88.99.0/24', // 6to4 relay anycast
      '198.18.0.0/15', // benchmarking
      '198.51.100.0/24', // documentation (TEST-NET-2)
      '203.0.113.0/24', // documentation (TEST-NET-3)
      '240.0.0.0/4', // reserved for future use
      'fec0::/10', // site-local, deprecated
      '64:ff9b:1::/48', // local-use NAT64: the embedding depends on a prefix only the site knows
      '100::/64', // discard-only
      '2001::/32', // Teredo: the client's IPv4 address is hidden in it
      '2001:db8::/32', // documentation
      '3fff::/20', // documentation (RFC 9637)
    ],
  ],
];

function blockListOf(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) addCidr(list, cidr);
  return list;
}

/** Add `a.b.c.d/n` or `x::y/n` to a BlockList; throws a plain Error on a malformed CIDR. */
export function addCidr(list: BlockList, cidr: string): void {
  const [address = '', bits, ...rest] = cidr.trim().split('/');
  const family = isIP(address);
  const prefix = bits === undefined ? (family === 6 ? 128 : 32) : Number(bits);
  if (
    family === 0 ||
    rest.length > 0 ||
    !/^\d{1,3}$/.test(bits ?? '0') ||
    prefix > (family === 6 ? 128 : 32)
  ) {
    throw new Error(`${cidr} is not an IPv4 or IPv6 CIDR (such as 10.20.0.0/16 or fd12:3456::/48)`);
  }
  list.addSubnet(address, prefix, family === 6 ? 'ipv6' : 'ipv4');
}

const COMPILED = RULES.map(([name, cidrs]) => [name, blockListOf(cidrs)] as const);
/** Everything IANA allocates for global unicast; any other IPv6 address is reserved or unassigned. */
const GLOBAL_UNICAST_V6 = blockListOf(['2000::/3']);

/** The eight 16-bit groups of an IPv6 address (no zone); undefined if it is not one. */
export function ipv6Groups(address: string): number[] | undefined {
  if (isIP(address) !== 6) return undefined;
  let text = address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const [a = 0, b = 0, c = 0, d = 0] = dotted[1].split('.').map(Number);
    text = `${text.slice(0, -dotted[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const zeros = tail === undefined ? [] : new Array<number>(8 - left.length - right.length).fill(0);
  return [...left, ...zeros, ...right];
}

function ipv4From(high: number, low: number): string {
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}

/**
 * The IPv4 address an IPv6 address leads to, when it embeds one: IPv4-mapped ::ffff:0:0/96,
 * IPv4-translated ::ffff:0:0:0/96, NAT64 64:ff9b::/96, 6to4 2002::/16 and the deprecated
 * IPv4-compatible ::/96 (other than :: and ::1).
 */
export function embeddedIpv4(address: string): string | undefined {
  const g = ipv6Groups(address);
  if (!g) return undefined;
  const [g0, g1, g2, g3, g4, g5, g6 = 0, g7 = 0] = g;
  const zeroTo = (n: number) => g.slice(0, n).every((group) => group === 0);
  if (zeroTo(5) && g5 === 0xffff) return ipv4From(g6, g7);
  if (zeroTo(4) && g4 === 0xffff && g5 === 0) return ipv4From(g6, g7);
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return ipv4From(g6, g7);
  if (g0 === 0x2002) return ipv4From(g1 ?? 0, g2 ?? 0);
  if (zeroTo(6) && (g6 !== 0 || g7 > 1)) return ipv4From(g6, g7);
  return undefined;
}

export interface Classification {
  class: AddressClass;
  /** The IPv4 address the IPv6 one embeds, when that is what was classified. */
  via?: string;
}

/**
 * The class of a special-purpose address, or undefined for an ordinary public one. `address` is an
 * IP literal as URL and DNS give it (brackets and an IPv6 zone are tolerated).
 */
export function classifyAddress(raw: string): Classification | undefined {
  const address = raw.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(address);
  if (family === 0) throw new Error(`${raw} is not an IP address`);
  if (family === 6) {
    const v4 = embeddedIpv4(address);
    if (v4 !== undefined) {
      const inner = classifyAddress(v4);
      return inner ? { class: inner.class, via: v4 } : undefined;
    }
  }
  const type = family === 6 ? 'ipv6' : 'ipv4';
  for (const [name, list] of COMPILED) {
    if (list.check(address, type)) return { class: name };
  }
  if (family === 6 && !GLOBAL_UNICAST_V6.check(address, 'ipv6')) return { class: 'reserved' };
  return undefined;
}
