import type { IdentityOptions } from '../identity.options';
import { commonPasswordList, PasswordPolicyService } from './password-policy.service';

const policy = (p: IdentityOptions['passwordPolicy']) =>
  new PasswordPolicyService({ passwordPolicy: p } as IdentityOptions);

describe('PasswordPolicyService', () => {
  it('defaults to a minimum length of 8 and a maximum of 256', () => {
    const s = policy({ min: 8 });
    expect(() => s.check('1234567')).toThrow('at least 8 characters');
    expect(() => s.check('k7#qpz2m')).not.toThrow();
    expect(() => s.check('x'.repeat(257))).toThrow('at most 256 characters');
  });

  it.each([
    [{ min: 8, lower: 2 }, 'AAAAAAAa', 'lower-case'],
    [{ min: 8, upper: 1 }, 'k7#qpz2m', 'upper-case'],
    [{ min: 8, numeric: 1 }, 'kx#qpzvm', 'digit'],
    [{ min: 8, symbol: 1 }, 'k7xqpz2m', 'symbol'],
  ])('%j refuses %j naming the rule', (p, pw, rule) => {
    expect(() => policy(p).check(pw)).toThrow(rule);
  });

  it('counts characters (code points), not bytes nor UTF-16 units', () => {
    const s = policy({ min: 8 });
    // 7 characters in 14 bytes / 7 characters in 14 UTF-16 units: too short
    expect(() => s.check('äöüßäöü')).toThrow('at least 8 characters');
    expect(() => s.check('😀😁😂🤣😃😄😅')).toThrow('at least 8 characters');
    // 8 characters in 16 bytes: long enough
    expect(() => s.check('äöüßäöüß')).not.toThrow();
  });

  it('never goes below 8 characters, whatever the options say (ASVS 6.2.1)', () => {
    expect(policy({ min: 4 }).policy.min).toBe(8);
    expect(() => policy({ min: 4 }).check('k7#qpz2')).toThrow('at least 8 characters');
    expect(policy({ min: 12 }).policy.min).toBe(12);
  });

  it('loads the common-password list once, about 49,000 entries', () => {
    expect(commonPasswordList().size).toBeGreaterThan(40_000);
    expect(commonPasswordList()).toBe(commonPasswordList());
  });

  it.each(['password123', '12345678', 'qwertyuiop', 'PassWord1', 'iloveyou', 'P@SSW0RD', 'letmein1'])(
    'refuses the common password %j, without regard to case (ASVS 6.2.4, 6.2.12)',
    (pw) => {
      expect(() => policy({ min: 8 }).check(pw)).toThrow('commonly used password');
    },
  );

  it.each([
    'gatehouse',
    'GateHouse',
    'Gatehouse2025!',
    'gatehouse-gatehouse',
    'my-gatehouse',
    'gatehousepassword',
  ])('refuses the product name %j, or a password leaning on it (ASVS 6.2.11)', (pw) => {
    expect(() => policy({ min: 8 }).check(pw)).toThrow(/product name "gatehouse"/);
  });

  it.each([
    ['plant-17', 'plant-17'],
    ['plant-17', 'PLANT-17'],
    ['admin', 'admin-admin'],
    ['admin', 'Admin2025!'],
    ['admin', 'adminPassword'],
    ['alice', 'xxALICExx!'],
  ])('refuses for user %j the password %j: the username or built on it (ASVS 6.2.11)', (username, pw) => {
    expect(() => policy({ min: 8 }).check(pw, { username })).toThrow(/the username/);
  });

  it('accepts a password that contains the username among at least 8 other characters', () => {
    const s = policy({ min: 8 });
    expect(() => s.check('alice-secret-1', { username: 'alice' })).not.toThrow();
    expect(() => s.check('Admin-Passw0rd-7', { username: 'admin' })).not.toThrow();
    // the same password is fine for someone else
    expect(() => s.check('plant-17', { username: 'bob' })).not.toThrow();
  });

  it('accepts uncommon passwords of any composition (ASVS 6.2.5)', () => {
    const s = policy({ min: 8 });
    for (const pw of [
      'k7#qpz2m',
      'correct horse battery',
      'ünïcödé-wörds',
      '密码很长很长很长的',
      '🙂🙃🙂🙃🙂🙃🙂🙃',
    ])
      expect(() => s.check(pw, { username: 'alice' })).not.toThrow();
  });
});
