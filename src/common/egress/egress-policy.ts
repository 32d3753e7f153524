import { BlockList, isIPv4 } from 'node:net';
import { classifyIp, normalizeIp, type IpCategory } from './ip-classification';

/**
 * Where tenant-controlled targets (SMTP hosts, webhook URLs) may connect. Public addresses always;
 * the rest only when `allowAll` (development) or inside one of `allowedCidrs` (an operator's
 * self-hosted relay). The operator's own targets (built-in mailer) never go through it.
 */
export interface EgressPolicy {
  allowAll: boolean;
  /** As the operator wrote them, e.g. `10.20.0.0/16`, `fd12:3456::/48`. */
  allowedCidrs: readonly string[];
}

/** Everything allowed: the default outside production. */
export const ALLOW_ALL_EGRESS: EgressPolicy = Object.freeze({ allowAll: true, allowedCidrs: [] });
/** Only public addresses: the default in production. */
export const PUBLIC_ONLY_EGRESS: EgressPolicy = Object.freeze({
  allowAll: false,
  allowedCidrs: [],
});

/**
 * Parses `MAILGATE_ALLOW_PRIVATE_TARGETS`: `true`, `false`, or a comma-separated list of CIDRs
 * (a bare address counts as /32 or /128). Unset: `PUBLIC_ONLY_EGRESS` in production, else
 * `ALLOW_ALL_EGRESS`. Returns the problem text instead when the value is malformed.
 */
export function parseEgressPolicy(
  value: string | undefined,
  production: boolean,
): EgressPolicy | { problem: string } {
  const text = value?.trim() ?? '';
  if (text === '') {
    return production ? PUBLIC_ONLY_EGRESS : ALLOW_ALL_EGRESS;
  }
  if (text.toLowerCase() === 'true') {
    return ALLOW_ALL_EGRESS;
  }
  if (text.toLowerCase() === 'false') {
    return PUBLIC_ONLY_EGRESS;
  }
  const cidrs: string[] = [];
  const bad: string[] = [];
  for (const part of text.split(',').map((item) => item.trim())) {
    if (parseCidr(part) === undefined) {
      bad.push(part === '' ? '(empty entry)' : part);
    } else {
      cidrs.push(part);
    }
  }
  if (bad.length > 0) {
    return {
      problem: `MAILGATE_ALLOW_PRIVATE_TARGETS must be true, false or a comma-separated list of CIDRs such as 10.20.0.0/16 (not valid: ${bad.join(', ')})`,
    };
  }
  return { allowAll: false, allowedCidrs: cidrs };
}

interface Cidr {
  network: string;
  prefix: number;
  type: 'ipv4' | 'ipv6';
}

function parseCidr(text: string): Cidr | undefined {
  const [address, prefixText, extra] = text.split('/');
  if (extra !== undefined || address === undefined) {
    return undefined;
  }
  const network = normalizeIp(address);
  if (network === undefined) {
    return undefined;
  }
  const type = isIPv4(network) ? 'ipv4' : 'ipv6';
  const max = type === 'ipv4' ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) {
    return undefined;
  }
  // ::ffff:10.0.0.0/104 written by the operator is the IPv4 range 10.0.0.0/8.
  let prefix = prefixText === undefined ? max : Number(prefixText);
  if (type === 'ipv4' && isIPv4(network) && !isIPv4(address) && prefixText !== undefined) {
    prefix -= 96;
  }
  return prefix >= 0 && prefix <= max ? { network, prefix, type } : undefined;
}

/** The verdict on one address. */
export type EgressVerdict =
  | { allowed: true; category: IpCategory }
  | { allowed: false; category: Exclude<IpCategory, 'public'> };

const compiled = new WeakMap<EgressPolicy, BlockList>();

function allowList(policy: EgressPolicy): BlockList {
  let list = compiled.get(policy);
  if (list === undefined) {
    list = new BlockList();
    for (const cidr of policy.allowedCidrs) {
      const parsed = parseCidr(cidr);
      if (parsed !== undefined) {
        list.addSubnet(parsed.network, parsed.prefix, parsed.type);
      }
    }
    compiled.set(policy, list);
  }
  return list;
}

/**
 * Whether `address` (an IP literal, any form) may be connected to. Not an IP literal: throws,
 * since a host name must be resolved first (see `createEgressLookup`).
 */
export function checkAddress(address: string, policy: EgressPolicy): EgressVerdict {
  const normalized = normalizeIp(address);
  const category = normalized === undefined ? undefined : classifyIp(normalized);
  if (normalized === undefined || category === undefined) {
    throw new TypeError('checkAddress takes an IP address');
  }
  if (category === 'public' || policy.allowAll) {
    return { allowed: true, category };
  }
  if (allowList(policy).check(normalized, isIPv4(normalized) ? 'ipv4' : 'ipv6')) {
    return { allowed: true, category };
  }
  return { allowed: false, category };
}

/**
 * Save-time check of a configured host: a literal address the policy denies gets the reason,
 * anything else (an allowed literal, a host name) undefined. Host names are judged after DNS,
 * at connect time, since what they resolve to can change.
 */
export function deniedLiteralHost(host: string, policy: EgressPolicy): string | undefined {
  if (normalizeIp(host) === undefined) {
    return undefined;
  }
  const verdict = checkAddress(host, policy);
  return verdict.allowed ? undefined : describeDenial(verdict.category);
}

const CATEGORY_TEXT: Record<Exclude<IpCategory, 'public'>, string> = {
  unspecified: 'an unspecified address',
  loopback: 'a loopback address',
  private: 'a private-network address',
  'unique-local': 'a unique-local IPv6 address',
  'link-local': 'a link-local address',
  cgnat: 'a carrier-grade NAT address',
  multicast: 'a multicast address',
  metadata: 'a cloud metadata address',
  reserved: 'a reserved address',
};

/** Why a category is refused, in words safe to show a tenant. */
export function describeDenial(category: Exclude<IpCategory, 'public'>): string {
  return `is ${CATEGORY_TEXT[category]}, which this deployment does not connect to for tenants (the operator can allow it with MAILGATE_ALLOW_PRIVATE_TARGETS)`;
}
