import { lookup } from 'node:dns/promises';
import {
  deniedLiteralHost,
  checkAddress,
  describeDenial,
  type EgressPolicy,
} from '../common/egress';
import type { AppEnv } from '../config/env';

/** Resolves every address of a host name (injectable for tests). */
export type ResolveHost = (hostname: string) => Promise<string[]>;

const systemResolve: ResolveHost = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

/** http: is for development and private targets the operator allowed (MAILGATE_ALLOW_PRIVATE_TARGETS). */
function plainHttpAllowed(production: boolean, policy: EgressPolicy): boolean {
  return !production || policy.allowAll || policy.allowedCidrs.length > 0;
}

/**
 * Why `value` cannot be a webhook URL, or null when it can. In production: https: only, and the
 * host must not be (or resolve to) an address the egress policy denies. This is the save-time
 * check; the worker's agents check again after DNS at connect time, so a host name that later
 * resolves elsewhere (DNS rebinding) is still refused. Credentials in the URL are refused (they
 * would show in reads).
 */
export async function checkWebhookUrl(
  value: string,
  env: Pick<AppEnv, 'app' | 'egress'>,
  resolve: ResolveHost = systemResolve,
): Promise<string | null> {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute http(s) URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return 'must be an http(s) URL';
  }
  if (url.protocol === 'http:' && !plainHttpAllowed(env.app.production, env.egress)) {
    return 'must use https: in production';
  }
  if (url.username !== '' || url.password !== '') {
    return 'must not carry credentials';
  }
  if (url.hash !== '') {
    return 'must not have a #fragment';
  }
  if (env.egress.allowAll) {
    return null;
  }
  // WHATWG URL keeps IPv6 literals in brackets and normalises IPv4 forms (0x7f.1 -> 127.0.0.1).
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const literal = deniedLiteralHost(host, env.egress);
  if (literal !== undefined) {
    return `host ${literal}`;
  }
  let addresses: string[];
  try {
    addresses = await resolve(host);
  } catch {
    return `host ${url.hostname} does not resolve`;
  }
  for (const address of addresses) {
    const verdict = checkAddress(address, env.egress);
    if (!verdict.allowed) {
      return `host ${url.hostname} resolves to an address that ${describeDenial(verdict.category)}`;
    }
  }
  return addresses.length === 0 ? `host ${url.hostname} does not resolve` : null;
}
