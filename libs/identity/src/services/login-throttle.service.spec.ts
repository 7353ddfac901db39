import 'reflect-metadata';
import { defaultLoginLimits } from '@gatehouse/contracts';
import { IdentityError } from '../identity.error';
import type { IdentityOptions } from '../identity.options';
import { LoginThrottle } from './login-throttle.service';

const options = {
  loginLimits: { ...defaultLoginLimits, perAddress: 20 },
  rateLimitStore: { redisUrl: null, keyPrefix: 'test:' },
} as IdentityOptions;

describe('LoginThrottle (in memory)', () => {
  it('allows 10 failures per (username, address), refuses the 11th attempt there with Retry-After', async () => {
    const t = new LoginThrottle(options);
    for (let i = 0; i < 10; i++) {
      await t.assertAllowed('alice', '10.0.0.1');
      await t.recordFailure('alice', '10.0.0.1', true);
    }
    const err: unknown = await t.assertAllowed('alice', '10.0.0.1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IdentityError);
    expect((err as IdentityError).code).toBe('IDENTITY.RATE_LIMITED');
    expect((err as IdentityError).retryAfterSeconds).toBeGreaterThan(890);
    expect((err as IdentityError).retryAfterSeconds).toBeLessThanOrEqual(900);
    // alice from another address, and another user, are not affected.
    await expect(t.assertAllowed('alice', '10.0.0.2')).resolves.toBeUndefined();
    await expect(t.assertAllowed('bob', '10.0.0.1')).resolves.toBeUndefined();
    await t.onApplicationShutdown();
  });

  it('counts only failures against existing usernames toward the per-address ceiling', async () => {
    const t = new LoginThrottle(options);
    for (let i = 0; i < 30; i++) await t.recordFailure(`x${i}`, '10.0.0.1', false);
    await expect(t.assertAllowed('d', '10.0.0.1')).resolves.toBeUndefined();
    for (let i = 0; i < 20; i++) await t.recordFailure(`u${i % 4}`, '10.0.0.1', true);
    await expect(t.assertAllowed('d', '10.0.0.1')).rejects.toThrow(IdentityError);
    await expect(t.assertAllowed('d', '10.0.0.2')).resolves.toBeUndefined();
  });
});
