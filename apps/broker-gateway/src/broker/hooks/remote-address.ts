import { TLSSocket } from 'node:tls';
import type { AedesClient } from '../aedes.types';

/** The peer address of a client on any listener (TCP, TLS, or WebSocket where `conn` is a stream). */
export function remoteAddressOf(client: AedesClient): string | undefined {
  const conn = client.conn as { remoteAddress?: string };
  return conn.remoteAddress ?? client.req?.socket?.remoteAddress ?? undefined;
}

/** The SHA-256 fingerprint (lower-case hex) of a client certificate the TLS listener verified, if any. */
export function verifiedCertificateOf(
  client: AedesClient,
): { fingerprint: string; commonName: string } | undefined {
  const conn = client.conn;
  if (!(conn instanceof TLSSocket) || !conn.authorized) return undefined;
  const cert = conn.getPeerCertificate();
  if (!cert || !cert.fingerprint256) return undefined;
  const cn = cert.subject?.CN;
  return {
    fingerprint: cert.fingerprint256.replace(/:/g, '').toLowerCase(),
    commonName: Array.isArray(cn) ? (cn[0] ?? '') : (cn ?? ''),
  };
}
