import { createHash } from 'node:crypto';

/**
 * The pairing ID (SPEC 4): 6 hex characters (upper case) of a SHA-256 over the request's credential:
 * the CSR's public key (its DER SubjectPublicKeyInfo, given here as its SHA-256) when there is one,
 * else username and password. The device shows it, the approver compares it.
 */
export function pairingId(credential: {
  username: string;
  password?: string;
  publicKeySha256?: string;
}): string {
  const h = createHash('sha256');
  if (credential.publicKeySha256) h.update(Buffer.from(credential.publicKeySha256, 'hex'));
  else
    h.update(credential.username, 'utf8')
      .update('\u0000')
      .update(credential.password ?? '', 'utf8');
  return h.digest('hex').slice(0, 6).toUpperCase();
}
