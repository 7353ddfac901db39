import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/** Format byte of a sealed secret: 1 = AES-256-GCM, 12-byte IV, 16-byte tag (ADR 0020). */
const FORMAT = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A sealed secret that does not open: tampered, another user's, or sealed with another key. */
export class MfaSealError extends Error {
  constructor() {
    super('the TOTP secret cannot be decrypted (tampered, or another MFA_ENCRYPTION_KEY)');
    this.name = 'MfaSealError';
  }
}

/** What a backup code is compared by: lower case, without the dashes and spaces of its display form. */
export function normalizeBackupCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '');
}

/**
 * The MFA secrets at rest (SPEC 2.1, ADR 0020). From one 32-byte key (`MFA_ENCRYPTION_KEY` or the
 * generated `DATA_DIR/mfa-encryption-key`) HKDF-SHA-256 derives two independent keys:
 * - TOTP secrets are sealed with AES-256-GCM, a random IV per secret and the user id as associated data
 *   (a sealed secret copied onto another user's row does not open);
 * - backup codes are stored as HMAC-SHA-256 under the second key (high-entropy codes: a keyed hash, not
 *   a password hash, see the ADR).
 */
export class MfaCipher {
  private readonly sealKey: Buffer;
  private readonly codeKey: Buffer;

  constructor(masterKey: Buffer) {
    if (masterKey.length !== 32) throw new Error('the MFA encryption key must be 32 bytes');
    this.sealKey = derive(masterKey, 'gatehouse mfa totp-secret v1');
    this.codeKey = derive(masterKey, 'gatehouse mfa backup-code v1');
  }

  /** `format || iv || tag || ciphertext`. */
  seal(secret: Uint8Array, userId: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.sealKey, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(userId, 'utf8'));
    const body = Buffer.concat([cipher.update(secret), cipher.final()]);
    return Buffer.concat([Buffer.from([FORMAT]), iv, cipher.getAuthTag(), body]);
  }

  /** Throws {@link MfaSealError} unless the box is intact, this user's and sealed with this key. */
  open(box: Buffer, userId: string): Buffer {
    if (box.length <= 1 + IV_BYTES + TAG_BYTES || box[0] !== FORMAT) throw new MfaSealError();
    const iv = box.subarray(1, 1 + IV_BYTES);
    const tag = box.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.sealKey, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(userId, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(box.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
    } catch {
      throw new MfaSealError();
    }
  }

  /** The stored form of a backup code of `userId` (the same code of another user hashes differently). */
  hashBackupCode(code: string, userId: string): Buffer {
    return createHmac('sha256', this.codeKey)
      .update(`${userId}\0${normalizeBackupCode(code)}`)
      .digest();
  }
}

function derive(key: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), info, 32));
}
