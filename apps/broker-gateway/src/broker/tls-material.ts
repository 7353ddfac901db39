import { randomBytes, webcrypto } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectAlternativeNameExtension,
  X509CertificateGenerator,
  cryptoProvider,
} from '@peculiar/x509';
import type { GatewayConfig } from '../config/gateway.config';

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  /** Further CAs accepted for client certificates (MQTT_TLS_CA_FILE), besides the Gatehouse CA (ADR 0200). */
  ca?: Buffer;
  certFile: string;
  generated: boolean;
}

/**
 * The TLS listener's server certificate (SPEC 3, 7): the configured `MQTT_TLS_CERT_FILE` /
 * `MQTT_TLS_KEY_FILE`, or a self-signed one generated once into `DATA_DIR/tls` (P-256, CN
 * gatehouse-broker-gateway, SAN localhost, 127.0.0.1, ::1, 825 days) with @peculiar/x509 on Node's
 * WebCrypto: no external command (the README promises only Node). Returns null when it cannot be
 * written: the TLS listener then stays off, as SPEC 7 allows.
 */
export async function loadTlsMaterial(config: GatewayConfig): Promise<TlsMaterial | null> {
  const ca = config.tlsClientCaFile ? await readFile(config.tlsClientCaFile) : undefined;
  if (config.tlsFiles) {
    return {
      cert: await readFile(config.tlsFiles.certFile),
      key: await readFile(config.tlsFiles.keyFile),
      ...(ca ? { ca } : {}),
      certFile: config.tlsFiles.certFile,
      generated: false,
    };
  }
  const dir =
    config.dataDir === 'memory://'
      ? join(tmpdir(), `gatehouse-tls-${process.pid}`)
      : join(config.dataDir, 'tls');
  const certFile = join(dir, 'broker-gateway.crt');
  const keyFile = join(dir, 'broker-gateway.key');
  let generated = false;
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    try {
      const { certPem, keyPem } = await generateSelfSigned();
      // written under temporary names and renamed: a half-written pair is never picked up on restart
      await writeFile(`${keyFile}.tmp`, keyPem, { mode: 0o600 });
      await writeFile(`${certFile}.tmp`, certPem, { mode: 0o644 });
      await rename(`${keyFile}.tmp`, keyFile);
      await rename(`${certFile}.tmp`, certFile);
    } catch {
      return null;
    }
    await chmod(keyFile, 0o600);
    generated = true;
  }
  return {
    cert: await readFile(certFile),
    key: await readFile(keyFile),
    ...(ca ? { ca } : {}),
    certFile,
    generated,
  };
}

/** A self-signed P-256 server certificate (not a CA) for the loopback names, as PEM. */
async function generateSelfSigned(): Promise<{ certPem: string; keyPem: string }> {
  cryptoProvider.set(webcrypto);
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const serial = randomBytes(16);
  serial[0] = (serial[0] & 0x7f) | 0x01; // positive, no leading zero byte
  const cert = await X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: 'CN=gatehouse-broker-gateway',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 825 * 86_400_000),
    signingAlgorithm: algorithm,
    keys,
    extensions: [
      new BasicConstraintsExtension(false, undefined, true),
      new KeyUsagesExtension(KeyUsageFlags.digitalSignature | KeyUsageFlags.keyAgreement, true),
      new ExtendedKeyUsageExtension([ExtendedKeyUsage.serverAuth]),
      new SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
        { type: 'ip', value: '::1' },
      ]),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
  pkcs8.fill(0);
  return { certPem: `${cert.toString('pem')}\n`, keyPem };
}
