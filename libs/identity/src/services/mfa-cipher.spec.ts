import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret, TOTP } from 'otpauth';
import { MfaCipher, MfaSealError } from './mfa-cipher';
import { MFA_KEY_FILE, parseMfaKey, resolveMfaKey } from './mfa-key';
import { newBackupCodes } from './mfa.service';
import { base32Of, newTotpSecret, provisioningUri, totpStep } from './totp';

const USER = '6f1c9b1e-4f7a-4c11-9a39-0d7b1f6c2a10';
const OTHER = '0b5f0d5e-9c8a-4b3e-8e3f-3f7d2c1a9b00';

describe('MfaCipher: TOTP secrets sealed with AES-256-GCM, the user id as associated data', () => {
  const key = randomBytes(32);
  const cipher = new MfaCipher(key);
  const secret = newTotpSecret();

  it('opens what it sealed, with a fresh IV each time', () => {
    const a = cipher.seal(secret, USER);
    const b = cipher.seal(secret, USER);
    expect(cipher.open(a, USER)).toEqual(Buffer.from(secret));
    expect(a.equals(b)).toBe(false);
    expect(a.subarray(1, 13).equals(b.subarray(1, 13))).toBe(false);
    expect(a.includes(Buffer.from(secret))).toBe(false);
  });

  it.each([
    ['a flipped ciphertext byte', (box: Buffer) => (box[box.length - 1] ^= 1)],
    ['a flipped tag byte', (box: Buffer) => (box[13] ^= 0x80)],
    ['a flipped IV byte', (box: Buffer) => (box[1] ^= 1)],
    ['another format byte', (box: Buffer) => (box[0] = 2)],
  ])('refuses %s', (_name, tamper) => {
    const box = cipher.seal(secret, USER);
    tamper(box);
    expect(() => cipher.open(box, USER)).toThrow(MfaSealError);
  });

  it('refuses a truncated box, another user’s box and another key', () => {
    const box = cipher.seal(secret, USER);
    expect(() => cipher.open(box.subarray(0, 29), USER)).toThrow(MfaSealError);
    expect(() => cipher.open(box, OTHER)).toThrow(MfaSealError);
    expect(() => new MfaCipher(randomBytes(32)).open(box, USER)).toThrow(MfaSealError);
    expect(new MfaCipher(Buffer.from(key)).open(box, USER)).toEqual(Buffer.from(secret));
  });

  it('needs a 32-byte key', () => {
    expect(() => new MfaCipher(randomBytes(16))).toThrow(/32 bytes/);
  });

  it('hashes backup codes per user and per key, ignoring case and dashes', () => {
    const code = 'abcd-efgh-ijkm-npqr';
    const h = cipher.hashBackupCode(code, USER);
    expect(h).toHaveLength(32);
    expect(cipher.hashBackupCode('ABCDEFGHIJKMNPQR', USER)).toEqual(h);
    expect(cipher.hashBackupCode(code, OTHER)).not.toEqual(h);
    expect(new MfaCipher(randomBytes(32)).hashBackupCode(code, USER)).not.toEqual(h);
    expect(cipher.hashBackupCode('abcd-efgh-ijkm-npqs', USER)).not.toEqual(h);
  });
});

describe('MFA encryption key', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-mfa-key-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('parses 32 bytes as hex, base64 or base64url, and nothing else', () => {
    const key = randomBytes(32);
    expect(parseMfaKey(key.toString('hex'))).toEqual(key);
    expect(parseMfaKey(key.toString('base64'))).toEqual(key);
    expect(parseMfaKey(key.toString('base64url'))).toEqual(key);
    expect(parseMfaKey(randomBytes(31).toString('hex'))).toBeNull();
    expect(parseMfaKey(randomBytes(33).toString('base64'))).toBeNull();
    expect(parseMfaKey('')).toBeNull();
  });

  it('generates DATA_DIR/mfa-encryption-key once, mode 0600, and reads the same key again', async () => {
    const first = await resolveMfaKey(undefined, dir);
    const file = join(dir, MFA_KEY_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(parseMfaKey(readFileSync(file, 'utf8'))).toEqual(first);
    expect(await resolveMfaKey(undefined, dir)).toEqual(first);
    const configured = randomBytes(32);
    expect(await resolveMfaKey(configured, dir)).toEqual(configured);
  });

  it('refuses a key file that holds no 32-byte key, naming the file', async () => {
    writeFileSync(join(dir, MFA_KEY_FILE), 'not a key\n', { mode: 0o644 });
    await expect(resolveMfaKey(undefined, dir)).rejects.toThrow(new RegExp(`${MFA_KEY_FILE}: must hold`));
  });
});

describe('TOTP (RFC 6238: SHA-1, 6 digits, 30 s, ±1 step)', () => {
  const secret = newTotpSecret();
  const at = (ms: number) =>
    TOTP.generate({ secret: new Secret({ buffer: Uint8Array.from(secret).buffer }), timestamp: ms });
  const now = 1_800_000_015_000; // 15 s into a step
  const step = Math.floor(now / 30_000);

  it('answers the step of a code within the window, null outside it', () => {
    expect(totpStep(secret, at(now), now)).toBe(step);
    expect(totpStep(secret, at(now - 30_000), now)).toBe(step - 1);
    expect(totpStep(secret, at(now + 30_000), now)).toBe(step + 1);
    expect(totpStep(secret, at(now - 60_000), now)).toBeNull();
    expect(totpStep(secret, at(now + 60_000), now)).toBeNull();
    expect(totpStep(secret, 'abcdef', now)).toBeNull();
    expect(totpStep(secret, `${at(now)}0`, now)).toBeNull();
  });

  it('matches the RFC 6238 test vector (SHA-1, T = 59 s)', () => {
    const rfc = new TextEncoder().encode('12345678901234567890');
    // RFC 6238 appendix B: 94287082 with 8 digits; the 6-digit code is its last six digits
    expect(totpStep(rfc, '287082', 59_000)).toBe(1);
  });

  it('describes itself to authenticator apps with the base32 secret', () => {
    const uri = provisioningUri(secret, 'alice');
    expect(uri).toMatch(/^otpauth:\/\/totp\/Gatehouse:alice\?/);
    expect(uri).toContain(`secret=${base32Of(secret)}`);
    expect(uri).toMatch(/algorithm=SHA1/);
    expect(uri).toMatch(/digits=6/);
    expect(uri).toMatch(/period=30/);
    expect(secret).toHaveLength(20);
  });
});

describe('backup codes (ASVS 6.5.3, 6.5.4)', () => {
  it('10 codes of 16 characters from a 32-letter alphabet (80 bits); 10,000 without a duplicate', () => {
    const codes = newBackupCodes();
    expect(codes).toHaveLength(10);
    for (const c of codes)
      expect(c).toMatch(/^[a-km-np-z2-9]{4}-[a-km-np-z2-9]{4}-[a-km-np-z2-9]{4}-[a-km-np-z2-9]{4}$/);
    const many = new Set(Array.from({ length: 1000 }, () => newBackupCodes()).flat());
    expect(many.size).toBe(10_000);
  });
});
