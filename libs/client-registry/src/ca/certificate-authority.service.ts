import {
  createPrivateKey,
  randomBytes,
  type KeyObject,
  webcrypto,
  X509Certificate as NodeX509,
} from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
type Algorithm = webcrypto.Algorithm;
type EcdsaParams = webcrypto.EcdsaParams;
type RsaHashedImportParams = webcrypto.RsaHashedImportParams;
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
  X509CertificateGenerator,
} from '@peculiar/x509';
import { ClientRegistryError } from '../client-registry.error';
import { CLIENT_REGISTRY_OPTIONS, type ClientRegistryOptions } from '../client-registry.options';
import { CertificateAuthorityRepository } from '../repositories/certificate-authority.repository';
import { ensureCryptoProvider } from './crypto-provider';
import type { VerifiedCsr } from './csr';
import { resolveKeyPassphrase } from './key-passphrase';

/** A certificate the CA issued: public facts and the PEM (never a private key). */
export interface IssuedCertificate {
  certificatePem: string;
  fingerprint: string;
  serial: string;
  notBefore: Date;
  notAfter: Date;
}

interface LoadedCa {
  certificate: X509Certificate;
  pem: string;
  signingKey: CryptoKey;
  signingAlgorithm: Algorithm | EcdsaParams | RsaHashedImportParams;
}

const CA_ID = 'gatehouse';
const EC_CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

/**
 * The Gatehouse CA (SPEC 4): created on first start (ECDSA P-256, stored in the database with its key
 * encrypted at rest) or loaded from operator-supplied files (`CA_CERT_FILE` / `CA_KEY_FILE`). Signs
 * CSRs: CN = username, configurable validity, random serial, client-auth extended key usage. The
 * private key exists only in memory as a non-extractable CryptoKey and never leaves this service.
 */
@Injectable()
export class CertificateAuthority implements OnModuleInit {
  private readonly logger = new Logger('GatehouseCA');
  private ca?: LoadedCa;

  constructor(
    private readonly repository: CertificateAuthorityRepository,
    @Inject(CLIENT_REGISTRY_OPTIONS) private readonly options: ClientRegistryOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    ensureCryptoProvider();
    this.ca =
      this.options.ca.certFile && this.options.ca.keyFile
        ? await this.loadFromFiles()
        : await this.loadOrCreateStored();
    await this.exportCertificate();
  }

  /** The CA certificate (PEM): what devices and gateways trust. */
  get certificatePem(): string {
    return this.loaded.pem;
  }

  /** Signs a verified CSR for `username` (the subject is built from the username, not copied from the CSR). */
  async issue(csr: VerifiedCsr, username: string): Promise<IssuedCertificate> {
    const ca = this.loaded;
    const notBefore = new Date(Date.now() - 60_000); // tolerate small clock skew between device and server
    const notAfter = new Date(Date.now() + this.options.ca.clientCertValidityDays * 86_400_000);
    const cert = await X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: [{ CN: [username] }],
      issuer: ca.certificate.subjectName,
      notBefore,
      notAfter,
      signingAlgorithm: ca.signingAlgorithm,
      publicKey: csr.csr.publicKey,
      signingKey: ca.signingKey,
      extensions: [
        new BasicConstraintsExtension(false, undefined, true),
        new KeyUsagesExtension(KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment, true),
        new ExtendedKeyUsageExtension([ExtendedKeyUsage.clientAuth]),
        await AuthorityKeyIdentifierExtension.create(ca.certificate.publicKey),
        await SubjectKeyIdentifierExtension.create(csr.csr.publicKey),
      ],
    });
    const pem = cert.toString('pem') + '\n';
    const node = new NodeX509(pem);
    return {
      certificatePem: pem,
      fingerprint: node.fingerprint256.replace(/:/g, '').toLowerCase(),
      serial: cert.serialNumber.toLowerCase(),
      notBefore: new Date(node.validFrom),
      notAfter: new Date(node.validTo),
    };
  }

  private get loaded(): LoadedCa {
    if (!this.ca) throw new ClientRegistryError('REGISTRY.CA_UNAVAILABLE', 'the Gatehouse CA is not loaded');
    return this.ca;
  }

  private async loadFromFiles(): Promise<LoadedCa> {
    const { certFile, keyFile, keyPassphrase } = this.options.ca;
    const pem = await readFile(certFile as string, 'utf8');
    let key: KeyObject;
    try {
      key = createPrivateKey({
        key: await readFile(keyFile as string),
        ...(keyPassphrase ? { passphrase: keyPassphrase } : {}),
      });
    } catch (err) {
      throw new Error(
        `CA_KEY_FILE: cannot read the CA key (${(err as Error).message}); set CA_KEY_PASSPHRASE if it is encrypted`,
      );
    }
    const certificate = new X509Certificate(pem);
    const node = new NodeX509(pem);
    if (!node.checkPrivateKey(key))
      throw new Error('CA_KEY_FILE: the key does not belong to the certificate in CA_CERT_FILE');
    if (!node.ca)
      throw new Error('CA_CERT_FILE: the certificate is not a CA certificate (basicConstraints CA:TRUE)');
    this.logger.log(`Gatehouse CA loaded from ${certFile as string}: ${node.subject.replace(/\n/g, ', ')}`);
    return { certificate, pem: certificate.toString('pem') + '\n', ...(await importSigningKey(key)) };
  }

  private async loadOrCreateStored(): Promise<LoadedCa> {
    const passphrase = await resolveKeyPassphrase(this.options.ca.keyPassphrase, this.options.dataDir);
    let row = await this.repository.findWithKey(CA_ID);
    if (!row) {
      await this.repository.insertIfAbsent(await this.generate(passphrase)); // another instance may have won
      row = await this.repository.findWithKey(CA_ID);
      if (!row) throw new Error('the Gatehouse CA could not be stored');
      this.logger.log('Gatehouse CA created (ECDSA P-256); its key is stored encrypted');
    }
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: row.encryptedKeyPem, passphrase });
    } catch {
      throw new Error(
        'CA_KEY_PASSPHRASE: cannot decrypt the stored Gatehouse CA key (wrong or lost passphrase)',
      );
    }
    const certificate = new X509Certificate(row.certificatePem);
    return { certificate, pem: row.certificatePem, ...(await importSigningKey(key)) };
  }

  private async generate(
    passphrase: string,
  ): Promise<{ id: string; certificatePem: string; encryptedKeyPem: string }> {
    const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
    const cert = await X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerial(),
      name: [{ CN: ['Gatehouse CA'] }, { O: ['Gatehouse'] }],
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + this.options.ca.caValidityDays * 86_400_000),
      signingAlgorithm: algorithm,
      keys,
      extensions: [
        new BasicConstraintsExtension(true, 0, true),
        new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
        await SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
    const encryptedKeyPem = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })
      .export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase })
      .toString();
    pkcs8.fill(0);
    return { id: CA_ID, certificatePem: cert.toString('pem') + '\n', encryptedKeyPem };
  }

  /** Writes the CA certificate (public) to DATA_DIR/ca/gatehouse-ca.crt for operators and co-located gateways. */
  private async exportCertificate(): Promise<void> {
    if (this.options.dataDir === 'memory://') return;
    const dir = join(this.options.dataDir, 'ca');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(join(dir, 'gatehouse-ca.crt'), this.loaded.pem, { mode: 0o644 });
  }
}

/** Imports the CA key for signing as a non-extractable WebCrypto key, with the algorithm its type needs. */
async function importSigningKey(key: KeyObject): Promise<Pick<LoadedCa, 'signingKey' | 'signingAlgorithm'>> {
  const der = key.export({ format: 'der', type: 'pkcs8' });
  try {
    if (key.asymmetricKeyType === 'ec') {
      const curve = EC_CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''];
      if (!curve)
        throw new Error(`CA_KEY_FILE: unsupported EC curve ${key.asymmetricKeyDetails?.namedCurve ?? '?'}`);
      const hash = curve === 'P-256' ? 'SHA-256' : curve === 'P-384' ? 'SHA-384' : 'SHA-512';
      const signingKey = await webcrypto.subtle.importKey(
        'pkcs8',
        der,
        { name: 'ECDSA', namedCurve: curve },
        false,
        ['sign'],
      );
      return { signingKey, signingAlgorithm: { name: 'ECDSA', hash } as EcdsaParams };
    }
    if (key.asymmetricKeyType === 'rsa') {
      const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
      const signingKey = await webcrypto.subtle.importKey('pkcs8', der, algorithm, false, ['sign']);
      return { signingKey, signingAlgorithm: algorithm };
    }
    throw new Error(`CA_KEY_FILE: unsupported key type ${key.asymmetricKeyType ?? '?'} (EC or RSA)`);
  } finally {
    der.fill(0);
  }
}

/** 128 random bits, positive (RFC 5280 4.1.2.2: at most 20 octets, non-negative). */
function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = (b[0] & 0x7f) | 0x01;
  return b.toString('hex');
}
