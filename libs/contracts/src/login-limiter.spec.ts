import 'reflect-metadata';
import { defaultLoginLimits, LoginLimiter } from './login-limiter';
import { RateLimitStore } from './rate-limit-store';

const limiter = (overrides: Partial<typeof defaultLoginLimits> = {}): LoginLimiter =>
  new LoginLimiter(
    { ...defaultLoginLimits, perUsernameAndAddress: 3, perUsername: 6, perAddress: 4, ...overrides },
    new RateLimitStore({ redisUrl: null, keyPrefix: 'spec:' }),
  );

describe('LoginLimiter (SPEC 2.1, ADR 0003; memory store)', () => {
  it('limits each (username, address) pair on its own', async () => {
    const l = limiter();
    for (let i = 0; i < 3; i++) await l.recordFailure('alice', '10.0.0.2', true);
    expect(await l.retryAfter('alice', '10.0.0.2')).toBeGreaterThan(0);
    expect(await l.retryAfter('alice', '10.0.0.3')).toBe(0);
  });

  it('the username ceiling counts failures from every address', async () => {
    const l = limiter();
    for (let i = 0; i < 6; i++) await l.recordFailure('bob', `10.0.1.${i}`, false);
    expect(await l.retryAfter('bob', '10.0.2.1')).toBeGreaterThan(0);
    expect(await l.retryAfter('bob', '10.0.2.1', { verified: true })).toBeGreaterThan(0);
  });

  it('random usernames never trip the address ceiling', async () => {
    const l = limiter();
    for (let i = 0; i < 50; i++) await l.recordFailure(`fuzz-${i}`, '10.0.0.9', false);
    expect(await l.retryAfter('admin', '10.0.0.9')).toBe(0);
    expect(await l.retryAfter('created-later', '10.0.0.9')).toBe(0);
  });

  it('past the address ceiling: refused unless known at that address or verified', async () => {
    const l = limiter();
    await l.recordSuccess('admin', '10.0.0.8');
    for (const u of ['a', 'b', 'c', 'd']) await l.recordFailure(u, '10.0.0.8', true);
    await new Promise((r) => setTimeout(r, 20)); // the known mark outlives timers (30 days > 2^31 ms)
    expect(await l.retryAfter('fresh', '10.0.0.8')).toBeGreaterThan(0);
    expect(await l.retryAfter('fresh', '10.0.0.8', { verified: true })).toBe(0);
    expect(await l.retryAfter('admin', '10.0.0.8')).toBe(0);
    expect(await l.retryAfter('fresh', '10.0.0.7')).toBe(0);
  });

  it('a success clears the pair, not the username ceiling', async () => {
    const l = limiter();
    for (let i = 0; i < 2; i++) await l.recordFailure('carol', '10.0.0.1', true);
    await l.recordSuccess('carol', '10.0.0.1');
    await l.recordFailure('carol', '10.0.0.1', true);
    expect(await l.retryAfter('carol', '10.0.0.1')).toBe(0);
    for (let i = 0; i < 3; i++) await l.recordFailure('carol', `10.0.3.${i}`, true);
    expect(await l.retryAfter('carol', '10.0.0.1')).toBeGreaterThan(0);
  });

  it('the lock-out ends with the window that the first failure started', async () => {
    const l = limiter({ windowSeconds: 1 });
    for (let i = 0; i < 3; i++) await l.recordFailure('dave', '10.0.0.1', true);
    expect(await l.retryAfter('dave', '10.0.0.1')).toBe(1);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await l.retryAfter('dave', '10.0.0.1')).toBe(0);
  });

  it('usernames cannot forge another pair key', async () => {
    const l = limiter();
    for (let i = 0; i < 3; i++) await l.recordFailure('eve@10.0.0.1', '10.0.0.2', false);
    expect(await l.retryAfter('eve', '10.0.0.1@10.0.0.2')).toBe(0);
  });
});

describe('LoginLimiter: reporting and an unreachable Redis', () => {
  it('tells once when a failure fills a limit', async () => {
    const events: unknown[] = [];
    const l = new LoginLimiter(
      { ...defaultLoginLimits, perUsernameAndAddress: 2 },
      new RateLimitStore({ redisUrl: null, keyPrefix: 'spec-report:' }),
      (e) => events.push(e),
    );
    for (let i = 0; i < 3; i++) await l.recordFailure('frank', '10.0.0.1', true);
    expect(events).toEqual([
      expect.objectContaining({ limit: 'username-and-address', username: 'frank', address: '10.0.0.1' }),
    ]);
  });

  it('counts in memory while Redis is unreachable, without throwing into the login', async () => {
    const errors: string[] = [];
    const store = new RateLimitStore({ redisUrl: 'redis://127.0.0.1:1', keyPrefix: 'spec-down:' }, (m) =>
      errors.push(m),
    );
    expect(store.shared).toBe(true);
    expect(await store.ready(300)).toBe(false);
    const l = new LoginLimiter({ ...defaultLoginLimits, perUsernameAndAddress: 2 }, store);
    for (let i = 0; i < 2; i++) await l.recordFailure('gina', '10.0.0.1', true);
    expect(await l.retryAfter('gina', '10.0.0.1')).toBeGreaterThan(0);
    expect(await l.retryAfter('gina', '10.0.0.2')).toBe(0);
    await store.close();
    expect(errors.join('\n')).toMatch(/rate-limit store \(Redis\)/);
  });
});
