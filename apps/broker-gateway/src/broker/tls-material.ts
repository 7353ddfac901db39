import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { GatewayConfig } from '../config/gateway.config';

const run = promisify(execFile);

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
 * gatehouse-broker-gateway, SAN localhost, 127.0.0.1, ::1) with the `openssl` command. Returns null when
 * neither is possible (no openssl): the TLS listener then stays off, as SPEC 7 allows.
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
      await run('openssl', [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '825',
        '-subj',
        '/CN=gatehouse-broker-gateway',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
      ]);
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
