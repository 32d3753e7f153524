import { BlockList, isIP, isIPv4 } from 'node:net';

/**
 * What an address is, for the egress policy. Everything but `public` is a target a tenant must not
 * reach in production: the operator's own host and networks, or the cloud's metadata service.
 */
export const IP_CATEGORIES = [
  'public',
  'unspecified',
  'loopback',
  'private',
  'unique-local',
  'link-local',
  'cgnat',
  'multicast',
  'metadata',
  'reserved',
] as const;
export type IpCategory = (typeof IP_CATEGORIES)[number];

interface Range {
  cidr: string;
  category: Exclude<IpCategory, 'public'>;
}

// Most specific first: metadata addresses sit inside link-local, CGNAT and unique-local ranges.
// IANA special-purpose registries: https://www.iana.org/assignments/iana-ipv4-special-registry
// and https://www.iana.org/assignments/iana-ipv6-special-registry
const IPV4_RANGES: readonly Range[] = [
  // AWS/GCP/Azure/OpenStack, AWS ECS task metadata, Tencent Cloud, Alibaba Cloud.
  { cidr: '169.254.169.254/32', category: 'metadata' },
  { cidr: '169.254.170.2/32', category: 'metadata' },
  { cidr: '169.254.0.23/32', category: 'metadata' },
  { cidr: '100.100.100.200/32', category: 'metadata' },
  { cidr: '0.0.0.0/8', category: 'unspecified' },
  { cidr: '127.0.0.0/8', category: 'loopback' },
  { cidr: '10.0.0.0/8', category: 'private' },
  { cidr: '172.16.0.0/12', category: 'private' },
  { cidr: '192.168.0.0/16', category: 'private' },
  { cidr: '100.64.0.0/10', category: 'cgnat' },
  { cidr: '169.254.0.0/16', category: 'link-local' },
  { cidr: '224.0.0.0/4', category: 'multicast' },
  { cidr: '192.0.0.0/24', category: 'reserved' },
  { cidr: '192.0.2.0/24', category: 'reserved' },
  { cidr: '198.18.0.0/15', category: 'reserved' },
  { cidr: '198.51.100.0/24', category: 'reserved' },
  { cidr: '203.0.113.0/24', category: 'reserved' },
  // 240/4 (future use) includes the broadcast address 255.255.255.255.
  { cidr: '240.0.0.0/4', category: 'reserved' },
];

const IPV6_RANGES: readonly Range[] = [
  // AWS's IPv6 metadata endpoint (Nitro), inside fc00::/7.
  { cidr: 'fd00:ec2::254/128', category: 'metadata' },
  { cidr: '::/128', category: 'unspecified' },
  { cidr: '::1/128', category: 'loopback' },
  { cidr: 'fc00::/7', category: 'unique-local' },
  { cidr: 'fe80::/10', category: 'link-local' },
  // Deprecated site-local (RFC 3879), still routed privately by some networks.
  { cidr: 'fec0::/10', category: 'private' },
  { cidr: 'ff00::/8', category: 'multicast' },
  { cidr: '100::/64', category: 'reserved' },
  { cidr: '2001:db8::/32', category: 'reserved' },
];

function compile(ranges: readonly Range[], type: 'ipv4' | 'ipv6'): Array<[BlockList, Range]> {
  return ranges.map((range) => {
    const [network, prefix] = range.cidr.split('/');
    const list = new BlockList();
    list.addSubnet(network, Number(prefix), type);
    return [list, range];
  });
}

const V4 = compile(IPV4_RANGES, 'ipv4');
const V6 = compile(IPV6_RANGES, 'ipv6');

/** Parses an IPv6 address into its eight 16-bit groups (the address must be valid). */
function ipv6Groups(address: string): number[] {
  let text = address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1].split('.').map(Number);
    text = `${text.slice(0, -dotted[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  return [...headGroups, ...Array<string>(zeros).fill('0'), ...tailGroups].map((g) =>
    parseInt(g, 16),
  );
}

/**
 * The IPv4 address an IPv6 address stands for, when it is one of the forms that reach an IPv4
 * host: IPv4-mapped `::ffff:a.b.c.d` (what a dual-stack socket connects to), IPv4-compatible
 * `::a.b.c.d` (deprecated) and NAT64 `64:ff9b::a.b.c.d` (RFC 6052).
 */
export function embeddedIpv4(address: string): string | undefined {
  if (isIP(address) !== 6) {
    return undefined;
  }
  const g = ipv6Groups(stripZone(address));
  const v4 = (): string => `${g[6] >> 8}.${g[6] & 0xff}.${g[7] >> 8}.${g[7] & 0xff}`;
  const zeroUpTo = (n: number): boolean => g.slice(0, n).every((x) => x === 0);
  if (zeroUpTo(5) && g[5] === 0xffff) {
    return v4();
  }
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) {
    return v4();
  }
  // ::a.b.c.d, but not :: and ::1 themselves.
  if (zeroUpTo(6) && (g[6] !== 0 || g[7] > 1)) {
    return v4();
  }
  return undefined;
}

/** `fe80::1%eth0` → `fe80::1`: the zone names an interface, not part of the address. */
function stripZone(address: string): string {
  const index = address.indexOf('%');
  return index === -1 ? address : address.slice(0, index);
}

/**
 * The address with IPv6 brackets and zone removed and IPv6 forms of an IPv4 address turned into
 * that IPv4 address; undefined when `value` is not an IP literal.
 */
export function normalizeIp(value: string): string | undefined {
  const unbracketed = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
  const address = stripZone(unbracketed);
  if (isIPv4(address)) {
    return address;
  }
  if (isIP(address) !== 6) {
    return undefined;
  }
  return embeddedIpv4(address) ?? address.toLowerCase();
}

/** The category of an IP literal (IPv4, IPv6, bracketed or IPv4-mapped); undefined for anything else. */
export function classifyIp(value: string): IpCategory | undefined {
  const address = normalizeIp(value);
  if (address === undefined) {
    return undefined;
  }
  const v4 = isIPv4(address);
  for (const [list, range] of v4 ? V4 : V6) {
    if (list.check(address, v4 ? 'ipv4' : 'ipv6')) {
      return range.category;
    }
  }
  return 'public';
}
