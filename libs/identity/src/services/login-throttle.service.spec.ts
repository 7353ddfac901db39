import { IdentityError } from '../identity.error';
import type { IdentityOptions } from '../identity.options';
import { LoginThrottle } from './login-throttle.service';

const options = {
  loginLimits: { maxFailuresPerUsername: 10, maxFailuresPerIp: 3, windowSeconds: 900 },
} as IdentityOptions;

describe('LoginThrottle', () => {
  it('allows 10 failures per username, refuses the 11th attempt with Retry-After within the window', () => {
    const t = new LoginThrottle(options);
    const now = 1_000_000;
    for (let i = 0; i < 10; i++) {
      t.assertAllowed('alice', undefined, now + i);
      t.recordFailure('alice', undefined, now + i);
    }
    let err: unknown;
    try {
      t.assertAllowed('alice', undefined, now + 60_000);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IdentityError);
    expect((err as IdentityError).code).toBe('IDENTITY.RATE_LIMITED');
    expect((err as IdentityError).retryAfterSeconds).toBe(840);
    // Never longer than the window: once it ends, alice may try again.
    expect(() => t.assertAllowed('alice', undefined, now + 900_000)).not.toThrow();
    // Another user is not affected.
    expect(() => t.assertAllowed('bob', undefined, now + 60_000)).not.toThrow();
  });

  it('limits per IP across usernames', () => {
    const t = new LoginThrottle(options);
    for (const u of ['a', 'b', 'c']) t.recordFailure(u, '10.0.0.1', 0);
    expect(() => t.assertAllowed('d', '10.0.0.1', 1)).toThrow(IdentityError);
    expect(() => t.assertAllowed('d', '10.0.0.2', 1)).not.toThrow();
  });

  it('a success clears the username counter', () => {
    const t = new LoginThrottle(options);
    for (let i = 0; i < 9; i++) t.recordFailure('carol', undefined, 0);
    t.recordSuccess('carol');
    t.recordFailure('carol', undefined, 1);
    expect(() => t.assertAllowed('carol', undefined, 2)).not.toThrow();
  });
});
