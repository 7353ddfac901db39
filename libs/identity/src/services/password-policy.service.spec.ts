import type { IdentityOptions } from '../identity.options';
import { PasswordPolicyService } from './password-policy.service';

const policy = (p: IdentityOptions['passwordPolicy']) =>
  new PasswordPolicyService({ passwordPolicy: p } as IdentityOptions);

describe('PasswordPolicyService', () => {
  it('defaults to a minimum length of 8 and a maximum of 256', () => {
    const s = policy({ min: 8 });
    expect(() => s.check('1234567')).toThrow('at least 8 characters');
    expect(() => s.check('12345678')).not.toThrow();
    expect(() => s.check('x'.repeat(257))).toThrow('at most 256 characters');
  });

  it.each([
    [{ min: 1, lower: 2 }, 'aB', 'lower-case'],
    [{ min: 1, upper: 1 }, 'ab', 'upper-case'],
    [{ min: 1, numeric: 1 }, 'ab', 'digit'],
    [{ min: 1, symbol: 1 }, 'ab1', 'symbol'],
  ])('%j refuses %j naming the rule', (p, pw, rule) => {
    expect(() => policy(p).check(pw)).toThrow(rule);
  });

  it('counts characters, not bytes', () => {
    expect(() => policy({ min: 4 }).check('äöüß')).not.toThrow();
  });
});
