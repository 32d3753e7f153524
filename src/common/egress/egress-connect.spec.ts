import { once } from 'node:events';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import {
  createEgressHttpAgent,
  createEgressLookup,
  egressConnect,
  EgressDeniedError,
  type ResolveAll,
} from './egress-connect';
import { ALLOW_ALL_EGRESS, PUBLIC_ONLY_EGRESS, type EgressPolicy } from './egress-policy';

/** A resolver that answers fixed addresses, as a tenant's DNS zone would. */
function fixedDns(table: Record<string, string[]>): ResolveAll {
  return (hostname, _options, callback) => {
    const addresses = table[hostname];
    if (addresses === undefined) {
      const error: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
      error.code = 'ENOTFOUND';
      process.nextTick(() => callback(error, []));
      return;
    }
    process.nextTick(() =>
      callback(
        null,
        addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
      ),
    );
  };
}

function lookupOnce(
  policy: EgressPolicy,
  dns: ResolveAll,
  host: string,
  all = false,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    createEgressLookup(policy, dns)(host, { all }, (error, address, family) => {
      if (error) {
        reject(error);
      } else {
        resolve(all ? address : { address, family });
      }
    });
  });
}

describe('createEgressLookup', () => {
  const dns = fixedDns({
    'public.test': ['93.184.216.34', '2606:2800:220:1::1'],
    'rebind.test': ['93.184.216.34', '127.0.0.1'],
    'meta.test': ['169.254.169.254'],
    'mapped.test': ['::ffff:10.0.0.1'],
  });

  it('answers public addresses in both call shapes', async () => {
    await expect(lookupOnce(PUBLIC_ONLY_EGRESS, dns, 'public.test')).resolves.toEqual({
      address: '93.184.216.34',
      family: 4,
    });
    await expect(lookupOnce(PUBLIC_ONLY_EGRESS, dns, 'public.test', true)).resolves.toHaveLength(2);
  });

  it.each(['rebind.test', 'meta.test', 'mapped.test'])(
    'refuses %s: one denied address is enough',
    async (host) => {
      const failure = lookupOnce(PUBLIC_ONLY_EGRESS, dns, host);
      await expect(failure).rejects.toBeInstanceOf(EgressDeniedError);
      await expect(failure).rejects.toMatchObject({ code: 'EGRESS_DENIED', errorClass: 'config' });
    },
  );

  it('passes DNS failures through unchanged', async () => {
    await expect(lookupOnce(PUBLIC_ONLY_EGRESS, dns, 'nowhere.test')).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
  });

  it('lets allowed private addresses through', async () => {
    await expect(lookupOnce(ALLOW_ALL_EGRESS, dns, 'meta.test')).resolves.toEqual({
      address: '169.254.169.254',
      family: 4,
    });
  });
});

describe('egressConnect', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer((socket) => socket.end('hello\r\n'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.close();
    await once(server, 'close');
  });

  const loopbackDns = fixedDns({ 'relay.test': ['127.0.0.1'] });

  it('refuses a loopback literal and a host resolving to loopback, open port or not', async () => {
    for (const host of ['127.0.0.1', '::ffff:127.0.0.1', 'relay.test']) {
      for (const target of [port, 1]) {
        await expect(
          egressConnect(PUBLIC_ONLY_EGRESS, { host, port: target, timeoutMs: 2_000 }, loopbackDns),
        ).rejects.toMatchObject({ code: 'EGRESS_DENIED' });
      }
    }
  });

  it('connects when the policy allows the address (by CIDR)', async () => {
    const policy: EgressPolicy = { allowAll: false, allowedCidrs: ['127.0.0.0/8'] };
    const socket = await egressConnect(
      policy,
      { host: 'relay.test', port, timeoutMs: 2_000 },
      loopbackDns,
    );
    const [data] = (await once(socket, 'data')) as [Buffer];
    expect(data.toString()).toBe('hello\r\n');
    socket.destroy();
  });

  it('keeps the socket error code of an allowed but closed port', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const closedPort = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, 'close');
    await expect(
      egressConnect(ALLOW_ALL_EGRESS, { host: '127.0.0.1', port: closedPort, timeoutMs: 2_000 }),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('createEgressHttpAgent', () => {
  it('refuses literal and resolved loopback targets, and reaches allowed ones', async () => {
    const server = createHttpServer((_request, response) => response.end('ok'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const dns = fixedDns({ 'hook.test': ['127.0.0.1'] });
    const request = (policy: EgressPolicy, host: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const agent = createEgressHttpAgent(policy, {}, dns);
        httpGet({ host, port, path: '/', agent }, (response: IncomingMessage) => {
          response.setEncoding('utf8');
          let body = '';
          response.on('data', (chunk: string) => (body += chunk));
          response.on('end', () => {
            agent.destroy();
            resolve(body);
          });
        }).on('error', (error) => {
          agent.destroy();
          reject(error);
        });
      });
    try {
      await expect(request(PUBLIC_ONLY_EGRESS, '127.0.0.1')).rejects.toMatchObject({
        code: 'EGRESS_DENIED',
      });
      await expect(request(PUBLIC_ONLY_EGRESS, 'hook.test')).rejects.toMatchObject({
        code: 'EGRESS_DENIED',
      });
      await expect(
        request({ allowAll: false, allowedCidrs: ['127.0.0.1'] }, 'hook.test'),
      ).resolves.toBe('ok');
    } finally {
      server.close();
      await once(server, 'close');
    }
  });
});
