import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Throw-away certificates for TLS tests, made by the `openssl` command line (as an operator would):
 * a CA and server certificates it signs. Keys are EC P-256, written 0600 in the caller's (private)
 * directory; everything lives one day.
 */

export interface TestCa {
  /** `<dir>/<name>-ca.pem`: the CA certificate (what a client trusts). */
  certFile: string;
  keyFile: string;
  certPem: string;
}

export interface TestServerCert {
  certFile: string;
  keyFile: string;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A self-signed CA `CN=<cn>` in `dir` (files `<name>-ca.pem` and `<name>-ca.key`). */
export async function createTestCa(
  dir: string,
  name: string,
  cn = `Gatehouse test CA ${name}`,
): Promise<TestCa> {
  const certFile = join(dir, `${name}-ca.pem`);
  const keyFile = join(dir, `${name}-ca.key`);
  await run('openssl', [
    'req',
    '-x509',
    ...EC,
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '1',
    '-subj',
    `/CN=${cn}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await chmod(keyFile, 0o600);
  return { certFile, keyFile, certPem: await readFile(certFile, 'utf8') };
}

/** A server certificate signed by `ca` for the given DNS names and IP addresses (serverAuth). */
export async function issueServerCert(
  ca: TestCa,
  dir: string,
  name: string,
  san: { dns?: string[]; ips?: string[] } = { dns: ['localhost'], ips: ['127.0.0.1'] },
): Promise<TestServerCert> {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  const csrFile = join(dir, `${name}.csr`);
  const extFile = join(dir, `${name}.ext`);
  const dns = san.dns ?? [];
  const ips = san.ips ?? [];
  await run('openssl', [
    'req',
    '-new',
    ...EC,
    '-keyout',
    keyFile,
    '-out',
    csrFile,
    '-subj',
    `/CN=${dns[0] ?? ips[0] ?? name}`,
  ]);
  await chmod(keyFile, 0o600);
  await writeFile(
    extFile,
    [
      `subjectAltName=${[...dns.map((d) => `DNS:${d}`), ...ips.map((i) => `IP:${i}`)].join(',')}`,
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      '',
    ].join('\n'),
  );
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    csrFile,
    '-CA',
    ca.certFile,
    '-CAkey',
    ca.keyFile,
    '-set_serial',
    `0x${randomBytes(12).toString('hex')}`,
    '-days',
    '1',
    '-out',
    certFile,
    '-extfile',
    extFile,
  ]);
  return { certFile, keyFile };
}
