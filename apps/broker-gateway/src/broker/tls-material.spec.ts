import 'reflect-metadata';
import { ChildProcess } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGatewayConfig } from '../config/gateway.config';
import { loadTlsMaterial } from './tls-material';

describe('loadTlsMaterial: the generated server certificate (SPEC 3, 7; README "only Node")', () => {
  let dataDir: string;
  let path: string | undefined;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-tls-spec-'));
    path = process.env.PATH;
    process.env.PATH = ''; // no openssl (nor anything else) to shell out to
  });

  afterEach(async () => {
    process.env.PATH = path;
    await rm(dataDir, { recursive: true, force: true });
  });

  it('generates a P-256 certificate for localhost, 127.0.0.1 and ::1 without any external command, once', async () => {
    const spawned = jest.spyOn(ChildProcess.prototype as unknown as { spawn: () => void }, 'spawn');
    const material = await loadTlsMaterial(loadGatewayConfig({ DATA_DIR: dataDir }));
    expect(spawned).not.toHaveBeenCalled();
    spawned.mockRestore();
    expect(material).not.toBeNull();
    if (!material) return;
    expect(material.generated).toBe(true);
    const cert = new X509Certificate(material.cert);
    expect(cert.subject).toBe('CN=gatehouse-broker-gateway');
    expect(cert.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.ca).toBe(false);
    const key = createPrivateKey(material.key);
    expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(cert.checkPrivateKey(key)).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(new Date(cert.validTo).getTime()).toBeGreaterThan(Date.now() + 800 * 86_400_000);
    expect((await stat(join(dataDir, 'tls', 'broker-gateway.key'))).mode & 0o777).toBe(0o600);

    const again = await loadTlsMaterial(loadGatewayConfig({ DATA_DIR: dataDir }));
    expect(again?.generated).toBe(false);
    expect(again?.cert.equals(material.cert)).toBe(true);
  });
});
