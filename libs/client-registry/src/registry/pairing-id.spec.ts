import { createHash } from 'node:crypto';
import { pairingId } from './pairing-id';

describe('pairingId (SPEC 4)', () => {
  it('is 6 upper-case hex characters of SHA-256(username, password)', () => {
    const expected = createHash('sha256').update('dev\u0000Secret-1').digest('hex').slice(0, 6).toUpperCase();
    expect(pairingId({ username: 'dev', password: 'Secret-1' })).toBe(expected);
    expect(pairingId({ username: 'dev', password: 'Secret-1' })).toMatch(/^[0-9A-F]{6}$/);
  });

  it('depends on every part of the credential (no "ab"+"c" = "a"+"bc" collision)', () => {
    expect(pairingId({ username: 'ab', password: 'c' })).not.toBe(
      pairingId({ username: 'a', password: 'bc' }),
    );
    expect(pairingId({ username: 'dev', password: 'x' })).not.toBe(
      pairingId({ username: 'dev', password: 'y' }),
    );
  });

  it('with a CSR, is derived from its public key alone', () => {
    const key = 'ab'.repeat(32);
    const expected = createHash('sha256')
      .update(Buffer.from(key, 'hex'))
      .digest('hex')
      .slice(0, 6)
      .toUpperCase();
    expect(pairingId({ username: 'dev', password: 'x', publicKeySha256: key })).toBe(expected);
  });
});
