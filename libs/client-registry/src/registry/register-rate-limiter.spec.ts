import type { ClientRegistryOptions } from '../client-registry.options';
import { RegisterRateLimiter } from './register-rate-limiter';

describe('RegisterRateLimiter (per client IP, fixed window)', () => {
  const limiter = () =>
    new RegisterRateLimiter({
      registerLimitPerIp: 3,
      registerLimitWindowSeconds: 60,
    } as ClientRegistryOptions);

  it('allows the limit, then refuses with the seconds until the window ends', () => {
    const l = limiter();
    const t0 = 1_000_000;
    for (let i = 0; i < 3; i++) expect(l.tryHit('10.0.0.1', t0 + i)).toBe(0);
    expect(l.tryHit('10.0.0.1', t0 + 10_000)).toBe(50);
    expect(() => l.hit('10.0.0.1', t0 + 10_000)).toThrow(
      expect.objectContaining({ code: 'REGISTRY.RATE_LIMITED', retryAfterSeconds: 50 }),
    );
  });

  it('counts each address separately and forgets a window once it ended', () => {
    const l = limiter();
    for (let i = 0; i < 3; i++) l.tryHit('10.0.0.1', 0);
    expect(l.tryHit('10.0.0.2', 0)).toBe(0);
    expect(l.tryHit('10.0.0.1', 60_000)).toBe(0);
  });
});
