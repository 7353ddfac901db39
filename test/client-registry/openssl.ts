import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const run = promisify(execFile);

/** A key pair and CSR made by the `openssl` command line, as a device would (the key stays in `dir`). */
export interface DeviceKey {
  dir: string;
  keyFile: string;
  csrFile: string;
  csr: string;
}

export async function tempDir(prefix = 'gatehouse-cr-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** `openssl req -new -newkey ec` with subject CN = `cn`. */
export async function opensslCsr(dir: string, cn: string, name = cn): Promise<DeviceKey> {
  const keyFile = join(dir, `${name}.key`);
  const csrFile = join(dir, `${name}.csr`);
  await run('openssl', [
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    csrFile,
    '-subj',
    `/CN=${cn}`,
  ]);
  return { dir, keyFile, csrFile, csr: await readFile(csrFile, 'utf8') };
}

/** The same CSR with one bit of its signature flipped: parses, but the signature does not verify. */
export function breakSignature(csrPem: string): string {
  const b64 = csrPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const der = Buffer.from(b64, 'base64');
  der[der.length - 3] ^= 0x01;
  const body = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trim();
  return `-----BEGIN CERTIFICATE REQUEST-----\n${body}\n-----END CERTIFICATE REQUEST-----\n`;
}

/** `openssl verify -CAfile ca.pem cert.pem`: resolves with stdout, rejects when openssl refuses. */
export async function opensslVerify(dir: string, caPem: string, certPem: string): Promise<string> {
  const caFile = join(dir, 'ca.pem');
  const certFile = join(dir, `cert-${Date.now()}.pem`);
  await writeFile(caFile, caPem);
  await writeFile(certFile, certPem);
  const { stdout } = await run('openssl', ['verify', '-CAfile', caFile, certFile]);
  return stdout;
}

/** Subject, issuer and extended key usage as openssl prints them. */
export async function opensslText(dir: string, certPem: string): Promise<string> {
  const certFile = join(dir, `show-${Date.now()}.pem`);
  await writeFile(certFile, certPem);
  const { stdout } = await run('openssl', [
    'x509',
    '-in',
    certFile,
    '-noout',
    '-subject',
    '-issuer',
    '-ext',
    'extendedKeyUsage',
  ]);
  return stdout;
}
