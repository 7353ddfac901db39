import 'reflect-metadata';
import type { ClientRegistryOptions } from '../client-registry.options';
import { RegisterRateLimiter } from './register-rate-limiter';

describe('RegisterRateLimiter (per client IP, fixed window, rate-limiter-flexible in memory)', () => {
  const limiter = (windowSeconds = 60) =>
    new RegisterRateLimiter({
      registerLimitPerIp: 3,
      registerLimitWindowSeconds: windowSeconds,
      rateLimitStore: { redisUrl: null, keyPrefix: 'test:' },
    } as ClientRegistryOptions);

  it('allows the limit, then refuses with the seconds until the window ends', async () => {
    const l = limiter();
    for (let i = 0; i < 3; i++) expect(await l.tryHit('10.0.0.1')).toBe(0);
    const wait = await l.tryHit('10.0.0.1');
    expect(wait).toBeGreaterThan(55);
    expect(wait).toBeLessThanOrEqual(60);
    await expect(l.hit('10.0.0.1')).rejects.toThrow(
      expect.objectContaining({ code: 'REGISTRY.RATE_LIMITED', retryAfterSeconds: wait }),
    );
  });

  it('counts each address separately and forgets a window once it ended', async () => {
    const l = limiter(1);
    for (let i = 0; i < 3; i++) await l.tryHit('10.0.0.1');
    expect(await l.tryHit('10.0.0.1')).toBeGreaterThan(0);
    expect(await l.tryHit('10.0.0.2')).toBe(0);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await l.tryHit('10.0.0.1')).toBe(0);
  });
});
