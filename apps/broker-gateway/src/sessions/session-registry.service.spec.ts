import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import type { PrincipalDto } from '@gatehouse/contracts';
import type { AedesClient } from '../broker/aedes.types';
import { loadGatewayConfig } from '../config/gateway.config';
import { GatewaySession, type SessionCredential } from './gateway-session';
import { MatcherPool } from './matcher-pool.service';
import { SessionRegistry } from './session-registry.service';

const USER = '00000000-0000-4000-8000-000000000001';
const principal: PrincipalDto = {
  userId: USER,
  username: 'dev1',
  enabled: true,
  permissionsVersion: 1,
  permissions: [{ context: 'mqtt', resource: 'devices/#', operation: 'readWrite' }],
};

describe('SessionRegistry: sessions end when their credential expires (ASVS 7.3.2)', () => {
  let registry: SessionRegistry;
  let pool: MatcherPool;
  const client = (id: string) => ({ id, closed: false, close: jest.fn() });
  const session = (c: ReturnType<typeof client>, credential: SessionCredential): GatewaySession =>
    new GatewaySession(c as unknown as AedesClient, USER, 'dev1', c.id, credential, principal, pool);

  beforeAll(() => Logger.overrideLogger(false));
  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
    pool = new MatcherPool(loadGatewayConfig({}));
    registry = new SessionRegistry();
  });
  afterEach(() => jest.useRealTimers());

  it('closes a token session at its expiry, and no other session', () => {
    const byToken = client('t');
    const byPassword = client('p');
    registry.add(session(byToken, { method: 'token', tokenId: 'x', expiresAt: 1_005_000 }));
    registry.add(session(byPassword, { method: 'password' }));
    jest.advanceTimersByTime(4_999);
    expect(byToken.close).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(byToken.close).toHaveBeenCalledTimes(1);
    expect(byPassword.close).not.toHaveBeenCalled();
    expect(registry.size).toBe(1);
  });

  it('a session that disconnected first clears its timer', () => {
    const c = client('t');
    registry.add(session(c, { method: 'token', expiresAt: 1_005_000 }));
    registry.remove(c as unknown as AedesClient);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(10_000);
    expect(c.close).not.toHaveBeenCalled();
  });

  it('an expiry beyond the 24.8-day timer limit re-arms on the way and still fires on time', () => {
    const c = client('cert');
    const days40 = 40 * 24 * 3600 * 1000;
    registry.add(session(c, { method: 'certificate', expiresAt: 1_000_000 + days40 }));
    jest.advanceTimersByTime(days40 - 1);
    expect(c.close).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(c.close).toHaveBeenCalledTimes(1);
  });

  it('an already expired credential closes at once', () => {
    const c = client('late');
    registry.add(session(c, { method: 'token', expiresAt: 999_000 }));
    jest.advanceTimersByTime(0);
    expect(c.close).toHaveBeenCalledTimes(1);
  });
});
