import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { Agent as HttpAgent, type AgentOptions, type ClientRequestArgs } from 'node:http';
import { Agent as HttpsAgent, type AgentOptions as HttpsAgentOptions } from 'node:https';
import { connect as netConnect, type LookupFunction, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { checkAddress, describeDenial, type EgressPolicy } from './egress-policy';
import type { IpCategory } from './ip-classification';
import { normalizeIp } from './ip-classification';

/**
 * A connection the egress policy refused. Class `config` in the delivery vocabulary: the target
 * has to change (or the operator has to allow it); retrying cannot help. The message never says
 * whether anything listens there.
 */
export class EgressDeniedError extends Error {
  readonly code = 'EGRESS_DENIED';
  readonly errorClass = 'config';

  constructor(
    readonly host: string,
    readonly category: Exclude<IpCategory, 'public'>,
  ) {
    super(
      `The target host ${normalizeIp(host) === undefined ? 'resolves to an address that ' : ''}${describeDenial(category)}`,
    );
    this.name = 'EgressDeniedError';
  }
}

export function isEgressDenied(error: unknown): error is EgressDeniedError {
  return error instanceof EgressDeniedError;
}

/** Resolves every address of a host, as `dns.lookup` with `all: true` does; injectable for tests. */
export type ResolveAll = (
  hostname: string,
  options: LookupAllOptions,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

const systemResolveAll: ResolveAll = (hostname, options, callback) =>
  dnsLookup(hostname, options, callback);

/**
 * A `lookup` for `net.connect`, `tls.connect`, `http(s).Agent` and nodemailer: it resolves the
 * host like the system resolver and refuses the connection when ANY address it gets is denied by
 * the policy — so a host cannot pass the check with one address and connect with another. The
 * addresses checked are the ones connected to: no second resolution, no DNS rebinding window.
 * Note that Node skips `lookup` for IP literals; `egressConnect` and the agents check those.
 */
export function createEgressLookup(
  policy: EgressPolicy,
  resolveAll: ResolveAll = systemResolveAll,
): LookupFunction {
  return (hostname, options, callback) => {
    const literal = deniedLiteral(hostname, policy);
    if (literal !== undefined) {
      process.nextTick(() => callback(literal, ''));
      return;
    }
    resolveAll(
      hostname,
      { family: options.family, hints: options.hints, all: true },
      (error, addresses) => {
        if (error) {
          callback(error, '');
          return;
        }
        for (const entry of addresses) {
          const verdict = checkAddress(entry.address, policy);
          if (!verdict.allowed) {
            callback(new EgressDeniedError(hostname, verdict.category), '');
            return;
          }
        }
        if (addresses.length === 0) {
          const notFound: NodeJS.ErrnoException = new Error(`No address found for ${hostname}`);
          notFound.code = 'ENOTFOUND';
          callback(notFound, '');
          return;
        }
        if (options.all === true) {
          // Node's typings describe the single-address callback only; with `all` it takes the list.
          (callback as unknown as (error: null, all: LookupAddress[]) => void)(null, addresses);
          return;
        }
        callback(null, addresses[0].address, addresses[0].family);
      },
    );
  };
}

/** The denial of an IP literal host, or undefined (allowed, or a host name). */
function deniedLiteral(host: string, policy: EgressPolicy): EgressDeniedError | undefined {
  if (normalizeIp(host) === undefined) {
    return undefined;
  }
  const verdict = checkAddress(host, policy);
  return verdict.allowed ? undefined : new EgressDeniedError(host, verdict.category);
}

export interface EgressConnectOptions {
  host: string;
  port: number;
  /** Bounds DNS and the TCP handshake together. */
  timeoutMs: number;
  localAddress?: string;
}

/**
 * Opens a TCP connection to a tenant-chosen host under the policy: IP literals are checked
 * directly, host names through `createEgressLookup`. Rejects with `EgressDeniedError` before any
 * packet reaches a denied address; other failures keep Node's error code (ECONNREFUSED…).
 */
export function egressConnect(
  policy: EgressPolicy,
  options: EgressConnectOptions,
  resolveAll?: ResolveAll,
): Promise<Socket> {
  const denied = deniedLiteral(options.host, policy);
  if (denied !== undefined) {
    return Promise.reject(denied);
  }
  return new Promise<Socket>((resolve, reject) => {
    const socket = netConnect({
      host: normalizeIp(options.host) ?? options.host,
      port: options.port,
      localAddress: options.localAddress,
      lookup: createEgressLookup(policy, resolveAll),
      autoSelectFamily: true,
    });
    const timer = setTimeout(() => {
      const timeout: NodeJS.ErrnoException = new Error('Connection timed out');
      timeout.code = 'ETIMEDOUT';
      socket.destroy(timeout);
    }, options.timeoutMs);
    const onError = (error: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeListener('error', onError);
      resolve(socket);
    });
  });
}

/** What nodemailer's `getSocket` hands back: an already connected socket it then speaks SMTP (and TLS) over. */
type GetSocketCallback = (error: Error | null, socketOptions?: { connection: Socket }) => void;

/**
 * nodemailer's `getSocket` option (SMTP transport and pool) under the policy. nodemailer keeps the
 * configured host name for TLS (SNI and certificate check), so only the TCP target changes hands.
 */
export function egressGetSocket(
  policy: EgressPolicy,
  timeoutMs: number,
  resolveAll?: ResolveAll,
): (
  options: { host?: string; port?: number | string; localAddress?: string },
  callback: GetSocketCallback,
) => void {
  return (options, callback) => {
    egressConnect(
      policy,
      {
        host: options.host ?? 'localhost',
        port: Number(options.port),
        timeoutMs,
        localAddress: options.localAddress,
      },
      resolveAll,
    ).then(
      (connection) => callback(null, { connection }),
      (error: Error) => callback(error),
    );
  };
}

type CreateConnection = (
  options: ClientRequestArgs,
  callback: (error: Error | null, socket: Duplex) => void,
) => Duplex | null | undefined;

/** Wraps an agent's createConnection so that an IP-literal target is judged too (Node skips `lookup` for those). */
function guardLiterals(policy: EgressPolicy, create: CreateConnection): CreateConnection {
  return (options, callback) => {
    const denied = deniedLiteral(String(options.host ?? options.hostname ?? ''), policy);
    if (denied !== undefined) {
      // The agent reports a callback error on the request ('error' event), as for a refused connection.
      process.nextTick(() => callback(denied, undefined as unknown as Duplex));
      return undefined;
    }
    return create(options, callback);
  };
}

/**
 * An `http.Agent` for tenant-chosen URLs: host names are resolved through `createEgressLookup`,
 * literal addresses checked before connecting. Redirects are the caller's business (follow none).
 */
export function createEgressHttpAgent(
  policy: EgressPolicy,
  options: AgentOptions = {},
  resolveAll?: ResolveAll,
): HttpAgent {
  const agent = new HttpAgent({ ...options, lookup: createEgressLookup(policy, resolveAll) });
  const holder = agent as unknown as { createConnection: CreateConnection };
  holder.createConnection = guardLiterals(policy, holder.createConnection.bind(agent));
  return agent;
}

/** The `https.Agent` counterpart of `createEgressHttpAgent` (certificates checked against the URL's host). */
export function createEgressHttpsAgent(
  policy: EgressPolicy,
  options: HttpsAgentOptions = {},
  resolveAll?: ResolveAll,
): HttpsAgent {
  const agent = new HttpsAgent({ ...options, lookup: createEgressLookup(policy, resolveAll) });
  const holder = agent as unknown as { createConnection: CreateConnection };
  holder.createConnection = guardLiterals(policy, holder.createConnection.bind(agent));
  return agent;
}
