import 'reflect-metadata';
import type { AuthenticateResultDto } from '@gatehouse/contracts';
import { loadGatewayConfig } from '../../config/gateway.config';
import { VerificationCache } from './verification-cache.service';

const ok = (userId: string): AuthenticateResultDto => ({
  outcome: 'ok',
  method: 'password',
  principal: { userId, username: userId, enabled: true, permissions: [], permissionsVersion: 1 },
});

describe('VerificationCache (ADR 0100)', () => {
  const make = (env: Record<string, string> = {}): VerificationCache =>
    new VerificationCache(loadGatewayConfig(env));

  it('keys by a salted hash of the credential: the password is not in the key', () => {
    const cache = make();
    const key = cache.cacheKey('dev1', 'secret-password');
    expect(key).not.toContain('secret-password');
    expect(cache.cacheKey('dev1', 'other')).not.toBe(key);
    expect(make().cacheKey('dev1', 'secret-password')).not.toBe(key); // per-process key
  });

  it('caches successes only, for the TTL', () => {
    const cache = make({ MQTT_AUTH_CACHE_TTL_SECONDS: '60' });
    cache.set('k1', { outcome: 'bad-credentials' }, 0);
    expect(cache.get('k1', 1)).toBeUndefined();
    cache.set('k2', ok('u1'), 0);
    expect(cache.get('k2', 59_999)).toEqual(ok('u1'));
    expect(cache.get('k2', 60_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("never answers past the credential's own expiry (a token whose exp falls inside the TTL)", () => {
    const cache = make({ MQTT_AUTH_CACHE_TTL_SECONDS: '60' });
    cache.set('k', { ...ok('u1'), method: 'token', tokenId: 't1', expiresAt: 10_000 }, 0);
    expect(cache.get('k', 9_999)).toBeDefined();
    expect(cache.get('k', 10_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('drops every entry of a user on a change event, and nothing else', () => {
    const cache = make();
    cache.set('a', ok('u1'));
    cache.set('b', ok('u1'));
    cache.set('c', ok('u2'));
    cache.evictUser('u1');
    expect([cache.get('a'), cache.get('b')]).toEqual([undefined, undefined]);
    expect(cache.get('c')).toBeDefined();
  });

  it('is bounded: the oldest entry goes first', () => {
    const cache = make({ MQTT_AUTH_CACHE_MAX_ENTRIES: '2' });
    cache.set('a', ok('u1'));
    cache.set('b', ok('u2'));
    cache.set('c', ok('u3'));
    expect(cache.size).toBe(2);
    expect(cache.get('a')).toBeUndefined();
  });

  it('TTL 0 disables it', () => {
    const cache = make({ MQTT_AUTH_CACHE_TTL_SECONDS: '0' });
    expect(cache.enabled).toBe(false);
    cache.set('a', ok('u1'));
    expect(cache.size).toBe(0);
  });
});
