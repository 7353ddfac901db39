import { createHash, type webcrypto } from 'node:crypto';
import { Pkcs10CertificateRequest } from '@peculiar/x509';
import { ClientRegistryError } from '../client-registry.error';
import { ensureCryptoProvider } from './crypto-provider';

/** A CSR whose signature verified: what the registry keeps of it. */
export interface VerifiedCsr {
  csr: Pkcs10CertificateRequest;
  pem: string;
  commonName: string;
  /** SHA-256 (hex) of the DER SubjectPublicKeyInfo: identifies the device's key pair. */
  publicKeySha256: string;
}

const PEM =
  /^\s*-----BEGIN (NEW )?CERTIFICATE REQUEST-----\r?\n[A-Za-z0-9+/=\r\n]+-----END (NEW )?CERTIFICATE REQUEST-----\s*$/;
const ALLOWED_CURVES = ['P-256', 'P-384', 'P-521'];

/**
 * Parses a PEM PKCS#10 request with @peculiar/x509 and verifies its self-signature (proof that the
 * device holds the private key). With `expectedCommonName`, the subject must be exactly one CN equal
 * to it (SPEC 4: CN = username). Anything else is REGISTRY.INVALID_CSR.
 */
export async function parseAndVerifyCsr(pem: string, expectedCommonName?: string): Promise<VerifiedCsr> {
  ensureCryptoProvider();
  if (!PEM.test(pem)) throw invalid('csr must be one PEM "CERTIFICATE REQUEST" block');
  let csr: Pkcs10CertificateRequest;
  try {
    csr = new Pkcs10CertificateRequest(pem.trim());
  } catch {
    throw invalid('csr is not a valid PKCS#10 certificate request');
  }
  let ok = false;
  try {
    checkKey(csr);
    ok = await csr.verify();
  } catch (err) {
    if (err instanceof ClientRegistryError) throw err;
    ok = false;
  }
  if (!ok) throw invalid('csr signature does not verify');
  const cns = csr.subjectName.getField('CN');
  if (cns.length !== 1) throw invalid('csr subject must contain exactly one CN');
  const commonName = cns[0];
  if (expectedCommonName !== undefined && commonName !== expectedCommonName) {
    throw invalid(`csr CN "${commonName.slice(0, 128)}" is not the username "${expectedCommonName}"`);
  }
  const publicKeySha256 = createHash('sha256').update(Buffer.from(csr.publicKey.rawData)).digest('hex');
  return { csr, pem: pem.trim() + '\n', commonName, publicKeySha256 };
}

/** EC on a NIST curve, or RSA of at least 2048 bits. */
function checkKey(csr: Pkcs10CertificateRequest): void {
  const alg = csr.publicKey.algorithm as webcrypto.Algorithm & {
    namedCurve?: string;
    modulusLength?: number;
  };
  if (alg.name === 'ECDSA' && alg.namedCurve && ALLOWED_CURVES.includes(alg.namedCurve)) return;
  if (alg.name.startsWith('RSA') && (alg.modulusLength ?? 0) >= 2048) return;
  throw invalid(
    `csr key ${alg.name}${alg.namedCurve ? ` ${alg.namedCurve}` : ''} is not allowed (EC P-256/P-384/P-521 or RSA ≥ 2048)`,
  );
}

function invalid(message: string): ClientRegistryError {
  return new ClientRegistryError('REGISTRY.INVALID_CSR', message);
}
