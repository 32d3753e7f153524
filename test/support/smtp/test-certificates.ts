import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** PEM strings of a throwaway CA and a server certificate it signed. */
export interface TestCertificates {
  /** The CA certificate: what a client must trust (`tls: { ca }`) to accept `cert`. */
  ca: string;
  /** The server certificate, valid for `hosts`. */
  cert: string;
  /** The server's private key. */
  key: string;
}

export interface TestCertificateOptions {
  /** Subject alternative names (IPs and DNS names, no spaces). Default: 127.0.0.1, ::1, localhost. */
  hosts?: [string, ...string[]];
}

const DEFAULT_HOSTS: [string, ...string[]] = ['127.0.0.1', '::1', 'localhost'];
let defaultCertificates: Promise<TestCertificates> | undefined;

/**
 * Generates a CA and a server certificate with the `openssl` CLI (Node cannot create X.509
 * certificates). Both live one day; nothing is kept on disk. The default set is made once per
 * test file and shared.
 */
export function createTestCertificates(
  options: TestCertificateOptions = {},
): Promise<TestCertificates> {
  if (options.hosts === undefined) {
    defaultCertificates ??= generate(DEFAULT_HOSTS);
    return defaultCertificates;
  }
  return generate(options.hosts);
}

async function generate(hosts: [string, ...string[]]): Promise<TestCertificates> {
  const dir = await mkdtemp(join(tmpdir(), 'mailgate-certs-'));
  // Relative file names inside `dir`, so the arguments never contain spaces.
  const openssl = (args: string): Promise<unknown> =>
    run('openssl', args.trim().split(/\s+/), { cwd: dir });
  const ecKey = '-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes';
  const san = hosts.map((host) => (/^[\d.]+$|:/.test(host) ? `IP:${host}` : `DNS:${host}`));
  try {
    await openssl(`
      req -x509 ${ecKey} -days 1 -keyout ca.key -out ca.crt -subj /CN=mailgate-test-CA
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign`);
    await openssl(`req -new ${ecKey} -keyout server.key -out server.csr -subj /CN=${hosts[0]}`);
    await writeFile(
      join(dir, 'server.ext'),
      `subjectAltName=${san.join(',')}\nbasicConstraints=CA:FALSE\n` +
        'keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n',
    );
    await openssl(`
      x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1
      -out server.crt -extfile server.ext`);
    const [ca, cert, key] = await Promise.all(
      ['ca.crt', 'server.crt', 'server.key'].map((name) => readFile(join(dir, name), 'utf8')),
    );
    return { ca, cert, key };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
