import {
  checkAddress,
  deniedLiteralHost,
  parseEgressPolicy,
  PUBLIC_ONLY_EGRESS,
} from './egress-policy';
import { classifyIp, embeddedIpv4, normalizeIp } from './ip-classification';

describe('classifyIp', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['0:0:0:0:0:ffff:127.0.0.1', 'loopback'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['::ffff:10.1.2.3', 'private'],
    ['fec0::1', 'private'],
    ['fd12:3456::1', 'unique-local'],
    ['fc00::1', 'unique-local'],
    ['169.254.1.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['169.254.169.254', 'metadata'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['255.255.255.255', 'reserved'],
    ['192.0.2.10', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['8.8.8.8', 'public'],
    ['172.32.0.1', 'public'],
    ['100.128.0.1', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['::ffff:8.8.8.8', 'public'],
  ])('%s is %s', (address, category) => {
    expect(classifyIp(address)).toBe(category);
  });

  it('answers undefined for host names and junk', () => {
    for (const value of ['localhost', 'smtp.example.com', '', '1.2.3', '::g', '10.0.0.1/8']) {
      expect(classifyIp(value)).toBeUndefined();
    }
  });

  it('reads the IPv4 address inside IPv6 forms', () => {
    expect(embeddedIpv4('::ffff:192.168.0.1')).toBe('192.168.0.1');
    expect(embeddedIpv4('::1')).toBeUndefined();
    expect(embeddedIpv4('::')).toBeUndefined();
    expect(embeddedIpv4('2001:db8::1')).toBeUndefined();
    expect(normalizeIp('[FE80::1%lo]')).toBe('fe80::1');
  });
});

describe('parseEgressPolicy', () => {
  it('defaults to public-only in production and to everything elsewhere', () => {
    expect(parseEgressPolicy(undefined, true)).toEqual({ allowAll: false, allowedCidrs: [] });
    expect(parseEgressPolicy('  ', true)).toEqual({ allowAll: false, allowedCidrs: [] });
    expect(parseEgressPolicy(undefined, false)).toEqual({ allowAll: true, allowedCidrs: [] });
  });

  it('reads true, false and CIDR lists', () => {
    expect(parseEgressPolicy('TRUE', true)).toEqual({ allowAll: true, allowedCidrs: [] });
    expect(parseEgressPolicy('false', false)).toEqual({ allowAll: false, allowedCidrs: [] });
    expect(parseEgressPolicy('10.20.0.0/16, fd12::/64,127.0.0.1', true)).toEqual({
      allowAll: false,
      allowedCidrs: ['10.20.0.0/16', 'fd12::/64', '127.0.0.1'],
    });
  });

  it('names every malformed entry', () => {
    expect(parseEgressPolicy('10.0.0.0/33,yes,,10.1.0.0/16', true)).toEqual({
      problem: expect.stringContaining('10.0.0.0/33, yes, (empty entry)') as unknown,
    });
  });
});

describe('checkAddress', () => {
  const cidrs = parseEgressPolicy('10.20.0.0/16,fd12::/64,::ffff:192.168.7.0/120', true);
  if ('problem' in cidrs) {
    throw new Error(cidrs.problem);
  }

  it('allows public addresses under every policy', () => {
    expect(checkAddress('93.184.216.34', PUBLIC_ONLY_EGRESS)).toEqual({
      allowed: true,
      category: 'public',
    });
  });

  it('denies non-public addresses unless a CIDR covers them', () => {
    expect(checkAddress('10.20.9.9', cidrs)).toEqual({ allowed: true, category: 'private' });
    expect(checkAddress('::ffff:10.20.9.9', cidrs)).toEqual({ allowed: true, category: 'private' });
    expect(checkAddress('192.168.7.5', cidrs)).toEqual({ allowed: true, category: 'private' });
    expect(checkAddress('fd12::5', cidrs)).toEqual({ allowed: true, category: 'unique-local' });
    expect(checkAddress('10.21.0.1', cidrs)).toEqual({ allowed: false, category: 'private' });
    expect(checkAddress('127.0.0.1', cidrs)).toEqual({ allowed: false, category: 'loopback' });
    expect(checkAddress('169.254.169.254', cidrs)).toEqual({
      allowed: false,
      category: 'metadata',
    });
  });

  it('allows everything under allow-all', () => {
    expect(checkAddress('127.0.0.1', { allowAll: true, allowedCidrs: [] }).allowed).toBe(true);
  });

  it('refuses to judge a host name', () => {
    expect(() => checkAddress('localhost', PUBLIC_ONLY_EGRESS)).toThrow(TypeError);
  });
});

describe('deniedLiteralHost', () => {
  it('explains denied literals and leaves host names to connect time', () => {
    expect(deniedLiteralHost('127.0.0.1', PUBLIC_ONLY_EGRESS)).toMatch(/loopback/);
    expect(deniedLiteralHost('[::1]', PUBLIC_ONLY_EGRESS)).toMatch(/loopback/);
    expect(deniedLiteralHost('169.254.169.254', PUBLIC_ONLY_EGRESS)).toMatch(/metadata/);
    expect(deniedLiteralHost('localhost', PUBLIC_ONLY_EGRESS)).toBeUndefined();
    expect(deniedLiteralHost('8.8.8.8', PUBLIC_ONLY_EGRESS)).toBeUndefined();
  });
});
