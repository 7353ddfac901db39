import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { Pkcs10CertificateRequestGenerator } from '@peculiar/x509';
import { ClientRegistryError } from '../client-registry.error';
import { ensureCryptoProvider } from './crypto-provider';
import { parseAndVerifyCsr } from './csr';

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

async function csrPem(name: string, alg: object = EC): Promise<string> {
  ensureCryptoProvider();
  const keys = await webcrypto.subtle.generateKey(alg as never, true, ['sign', 'verify']);
  const csr = await Pkcs10CertificateRequestGenerator.create({
    name,
    keys: keys as never,
    signingAlgorithm: alg as never,
  });
  return csr.toString('pem');
}

const code = async (p: Promise<unknown>): Promise<string | undefined> =>
  p.then(
    () => undefined,
    (err: unknown) => (err instanceof ClientRegistryError ? err.code : `unexpected ${String(err)}`),
  );

describe('parseAndVerifyCsr (SPEC 4: CN = username, signature verified)', () => {
  it('accepts a signed EC CSR with the expected CN and fingerprints its public key', async () => {
    const pem = await csrPem('CN=press-17');
    const v = await parseAndVerifyCsr(pem, 'press-17');
    expect(v.commonName).toBe('press-17');
    expect(v.publicKeySha256).toMatch(/^[0-9a-f]{64}$/);
    expect((await parseAndVerifyCsr(pem)).publicKeySha256).toBe(v.publicKeySha256);
  });

  it('refuses a CN that is not the username, several CNs, and no CN', async () => {
    expect(await code(parseAndVerifyCsr(await csrPem('CN=other'), 'press-17'))).toBe('REGISTRY.INVALID_CSR');
    expect(await code(parseAndVerifyCsr(await csrPem('CN=a, CN=b'), 'a'))).toBe('REGISTRY.INVALID_CSR');
    expect(await code(parseAndVerifyCsr(await csrPem('O=acme'), 'acme'))).toBe('REGISTRY.INVALID_CSR');
  });

  it('refuses a CSR whose signature does not verify', async () => {
    const pem = await csrPem('CN=press-17');
    const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 3] ^= 1;
    const broken = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    expect(await code(parseAndVerifyCsr(broken, 'press-17'))).toBe('REGISTRY.INVALID_CSR');
  });

  it.each([
    ['empty', ''],
    ['not PEM', 'hello'],
    ['garbage in PEM', '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----'],
    ['a certificate, not a request', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'],
    [
      'two blocks',
      '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----',
    ],
  ])('refuses %s', async (_what, pem) => {
    expect(await code(parseAndVerifyCsr(pem, 'x'))).toBe('REGISTRY.INVALID_CSR');
  });

  it('refuses RSA keys shorter than 2048 bits', async () => {
    const rsa = {
      name: 'RSASSA-PKCS1-v1_5',
      hash: 'SHA-256',
      modulusLength: 1024,
      publicExponent: new Uint8Array([1, 0, 1]),
    };
    expect(await code(parseAndVerifyCsr(await csrPem('CN=old', rsa), 'old'))).toBe('REGISTRY.INVALID_CSR');
  });
});
